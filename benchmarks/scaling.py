"""Steps/s and images/s of the same training run on 1 process, 2 mirrored CPU replicas and
2 MultiWorkerMirroredStrategy workers on this machine.

    python benchmarks/scaling.py [--steps=300] [--config=launch/configs/demo.py]

Each run is `launch/train.py` (through `launch/local_cluster.py` for the workers) with the
same config, seed and global batch; the rate is results.json's `images_per_second`: the
training loop after its first log window (start-up and tracing excluded).
All runs share this machine's CPU cores, so replicas split the same compute: this measures
the cost of the distribution machinery (all-reduce, per-step synchronisation over
loopback), not a speed-up. On real GPUs each replica brings its own accelerator, and the
same code scales with the number of devices as long as the all-reduce of the gradients is
small next to the step (see the README).
Writes scaling.json and scaling.md.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

from absl import app, flags

from report import write_report  # benchmarks/report.py

ROOT = pathlib.Path(__file__).resolve().parents[1]
_STEPS = flags.DEFINE_integer("steps", 300, "Training steps per run.")
_CONFIG = flags.DEFINE_string("config", "launch/configs/demo.py", "Config of every run.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Results.")


def run(name: str, workdir: str, extra, cluster: int = 0) -> dict:
    train = [
        sys.executable, "launch/train.py", f"--config={_CONFIG.value}", f"--workdir={workdir}",
        f"--config.train.num_steps={_STEPS.value}", "--config.train.eval_every=0",
        "--config.train.num_samples=0", "--config.export.enabled=False",
        f"--config.train.checkpoint_every={_STEPS.value}", "--config.train.log_every=20",
        *extra,
    ]  # fmt: skip
    command = train
    if cluster:
        command = [
            sys.executable, "launch/local_cluster.py", f"--num_workers={cluster}", "--quiet",
            f"--worker_logs={workdir}_logs", "--", *train,
        ]  # fmt: skip
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    with open(os.path.join(workdir, "results.json")) as f:
        results = json.load(f)
    with open(os.path.join(workdir, "config.json")) as f:
        batch = json.load(f)["train"]["global_batch_size"]
    images_per_second = results["images_per_second"]
    return {
        "steps_per_second": images_per_second / batch,
        "images_per_second": images_per_second,
        "test_bits_per_dim": results["test_bits_per_dim"],
    }


def main(argv):
    del argv
    rows = {}
    with tempfile.TemporaryDirectory() as root:
        rows["1 process, default strategy"] = run("default", f"{root}/a", [])
        rows["1 process, MirroredStrategy over 2 logical CPUs"] = run(
            "mirrored", f"{root}/b", ["--config.strategy=mirrored", "--config.num_cpu_devices=2"]
        )
        rows["2 processes, MultiWorkerMirroredStrategy"] = run(
            "multi_worker", f"{root}/c", ["--config.strategy=multi_worker"], cluster=2
        )
    base = rows["1 process, default strategy"]["steps_per_second"]
    lines = [
        "| run | steps/s | images/s | vs 1 process | test bits/dim |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['steps_per_second']:.2f} | {row['images_per_second']:.0f} | "
            f"{row['steps_per_second'] / base:.2f}x | {row['test_bits_per_dim']:.4f} |"
        )
    write_report(_OUTPUT_DIR.value, "scaling", rows, "\n".join(lines))


if __name__ == "__main__":
    app.run(main)
