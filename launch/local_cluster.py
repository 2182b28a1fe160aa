"""Runs a command as N MultiWorkerMirroredStrategy workers on this machine.

python launch/local_cluster.py --num_workers=2 -- \\
    python launch/train.py --config=launch/configs/smoke.py --workdir=DIR \\
    --config.strategy=multi_worker

Each worker gets its own `TF_CONFIG` (free localhost ports), a log file and a pid file
(`worker_<i>.log`, `worker_<i>.pid` in `--worker_logs`, default a new temporary
directory); worker 0 (the chief) is also echoed to
the console. If any worker fails, the others are stopped and this exits with its code;
every worker is bounded by `--timeout` (exit code 124). SIGTERM / Ctrl-C are forwarded.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import List, Sequence

from absl import app, flags

_NUM_WORKERS = flags.DEFINE_integer("num_workers", 2, "Worker processes to start.")
_TIMEOUT = flags.DEFINE_float("timeout", 3600.0, "Seconds before every worker is killed.")
_LOG_DIR = flags.DEFINE_string("worker_logs", None, "Where worker_<i>.log go; default: a temp dir.")
_QUIET = flags.DEFINE_bool("quiet", False, "Do not echo the chief's output.")

TIMEOUT_EXIT_CODE = 124
_GRACE_SECONDS = 10.0


def free_ports(count: int) -> List[int]:
    """`count` distinct localhost ports that were free a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("localhost", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_configs(num_workers: int) -> List[str]:
    """The `TF_CONFIG` of each worker of a localhost cluster."""
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(num_workers)]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(num_workers)
    ]


def run_cluster(
    command: Sequence[str],
    num_workers: int,
    log_dir: str,
    timeout: float,
    echo_chief: bool = True,
) -> int:
    """Starts the workers, waits, and returns 0 or the first failing worker's exit code."""
    os.makedirs(log_dir, exist_ok=True)
    processes, threads = [], []
    for index, tf_config in enumerate(tf_configs(num_workers)):
        env = {**os.environ, "TF_CONFIG": tf_config}
        log_path = os.path.join(log_dir, f"worker_{index}.log")
        process = subprocess.Popen(
            list(command),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with open(os.path.join(log_dir, f"worker_{index}.pid"), "w") as f:
            f.write(str(process.pid))
        thread = threading.Thread(
            target=_copy_output,
            args=(process.stdout, log_path, echo_chief and index == 0),
            daemon=True,
        )
        thread.start()
        processes.append(process)
        threads.append(thread)
    print(f"local_cluster: {num_workers} workers, logs in {log_dir}", flush=True)

    def forward(signum, frame):
        for process in processes:
            _signal(process, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    deadline = time.monotonic() + timeout
    exit_code = 0
    try:
        while any(p.poll() is None for p in processes):
            failed = [p for p in processes if p.poll() not in (None, 0)]
            if failed:
                exit_code = failed[0].returncode
                index = processes.index(failed[0])
                print(
                    f"local_cluster: worker {index} {describe_exit(exit_code)}; stopping the "
                    f"others (log: {os.path.join(log_dir, f'worker_{index}.log')})",
                    flush=True,
                )
                break
            if time.monotonic() > deadline:
                exit_code = TIMEOUT_EXIT_CODE
                print(f"local_cluster: timeout after {timeout:.0f} s; stopping", flush=True)
                break
            time.sleep(0.2)
        _stop(processes)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for thread in threads:
        thread.join(timeout=5)
    if exit_code == 0:
        codes = [p.returncode for p in processes]
        exit_code = next((code for code in codes if code != 0), 0)
    for index, process in enumerate(processes):
        print(f"local_cluster: worker {index} {describe_exit(process.returncode)}", flush=True)
    return 128 - exit_code if exit_code < 0 else exit_code  # killed by signal n: 128 + n


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name} (exit code {128 - returncode})"
    return f"exit code {returncode}"


def _copy_output(stream, log_path: str, echo: bool) -> None:
    with open(log_path, "wb") as log:
        for line in iter(stream.readline, b""):
            log.write(line)
            log.flush()
            if echo:
                sys.stdout.buffer.write(line)
                sys.stdout.flush()


def _signal(process: subprocess.Popen, signum: int) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass


def _stop(processes) -> None:
    for process in processes:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
            process.wait()


def main(argv):
    command = argv[1:]
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise app.UsageError("Give the worker command after --.")
    log_dir = _LOG_DIR.value or tempfile.mkdtemp(prefix="local_cluster_")
    sys.exit(run_cluster(command, _NUM_WORKERS.value, log_dir, _TIMEOUT.value, not _QUIET.value))


if __name__ == "__main__":
    app.run(main)
