"""One trainer per workdir, on any filesystem TensorFlow supports.

    workdir/trainer_lock.<token>.json   {"token", "host", "pid", "process_start",
                                         "started_at", "command"} of the trainer holding it

Not every `tf.io.gfile` filesystem can create a file exclusively (object stores, `ram://`),
so the lock does not rely on it. Each trainer writes a file of its own, named by a random
token, and then lists the others: it holds the lock only if it sees no other trainer's
file; otherwise it deletes its own and refuses. Of two trainers that start together, the
second to list sees the first (its file was written before that listing), so at most one
holds the lock (both may refuse: start one again). This needs a filesystem whose listing
shows a file once it is written, as local disks, GCS, S3 and `ram://` do.

A file left by a killed trainer is stale when it names this host and its process is gone
(the process start time guards against a reused pid): it is removed with a warning.
A file of another host cannot be checked from here; the refusal says which file to
delete once no trainer runs there.
"""

import datetime
import json
import os
import socket
import sys
import uuid
import warnings
from typing import Any, Dict, List, Optional

import tensorflow as tf

from tf_pixelcnn.utils.text_file import write_text

LOCK_PREFIX = "trainer_lock."

__all__ = ["StaleLockWarning", "WorkdirLock", "WorkdirLockedError"]


class WorkdirLockedError(RuntimeError):
    """Another trainer holds the workdir."""


class StaleLockWarning(UserWarning):
    """The lock file of a trainer that no longer runs was removed."""


class WorkdirLock:
    """A context manager holding `workdir` for this process (see the module docstring).

    Args:
        workdir: The run's directory (created if missing).

    Example:
        with WorkdirLock("/tmp/run"):
            ...  # train; a second trainer on /tmp/run raises WorkdirLockedError

    Raises:
        WorkdirLockedError: on entry, when another live trainer holds `workdir` (the
            message names its lock file, host, pid and start time).
    """

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.token = uuid.uuid4().hex
        self.path = os.path.join(workdir, f"{LOCK_PREFIX}{self.token}.json")

    def __enter__(self) -> "WorkdirLock":
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()

    def acquire(self) -> None:
        tf.io.gfile.makedirs(self.workdir)
        self._remove_stale(self._other_files())  # before ours exists: never ours
        write_text(self.path, json.dumps(_owner(self.token), indent=2))
        holders = [path for path in self._other_files() if not self._remove_stale([path])]
        if holders:
            self.release()
            raise WorkdirLockedError(_refusal(self.workdir, holders))

    def release(self) -> None:
        try:
            tf.io.gfile.remove(self.path)
        except tf.errors.NotFoundError:
            pass

    def _other_files(self) -> List[str]:
        pattern = os.path.join(self.workdir, f"{LOCK_PREFIX}*.json")
        mine = os.path.basename(self.path)
        return sorted(p for p in tf.io.gfile.glob(pattern) if os.path.basename(p) != mine)

    def _remove_stale(self, paths: List[str]) -> bool:
        """Removes the files of `paths` whose trainer is gone; True if all were."""
        all_removed = True
        for path in paths:
            owner = _read_owner(path)
            if owner is None or not _is_stale(owner):
                all_removed = False
                continue
            warnings.warn(
                f"Removed the stale lock file {path}: its trainer (pid {owner['pid']} on "
                f"this host, {owner['host']}, started {owner.get('started_at')}) no longer "
                "runs.",
                StaleLockWarning,
                stacklevel=3,
            )
            try:
                tf.io.gfile.remove(path)
            except tf.errors.NotFoundError:
                pass  # another starting trainer removed it first
        return all_removed


def _owner(token: str) -> Dict[str, Any]:
    pid = os.getpid()
    return {
        "token": token,
        "host": socket.gethostname(),
        "pid": pid,
        "process_start": _process_start(pid),
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
    }


def _read_owner(path: str) -> Optional[Dict[str, Any]]:
    """The lock file's owner, or None while it cannot be read (being written or removed)."""
    try:
        with tf.io.gfile.GFile(path) as f:
            owner = json.load(f)
    except (tf.errors.OpError, ValueError):
        return None
    return owner if isinstance(owner, dict) and "pid" in owner else None


def _is_stale(owner: Dict[str, Any]) -> bool:
    """True when `owner` ran on this host and its process is gone (or is another one)."""
    if owner.get("host") != socket.gethostname() or os.name != "posix":
        return False  # another machine's process cannot be checked from here
    pid = int(owner["pid"])
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    start = owner.get("process_start")
    return start is not None and _process_start(pid) not in (None, start)


def _process_start(pid: int) -> Optional[int]:
    """The process's start time in clock ticks since boot (Linux `/proc`), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after "pid (command name)"
        return int(fields[19])  # field 22 of proc(5): starttime
    except (OSError, IndexError, ValueError):
        return None


def _refusal(workdir: str, holders: List[str]) -> str:
    parts = []
    for path in holders:
        owner = _read_owner(path)
        if owner is None:
            parts.append(f"{path} (being written by a trainer that is starting)")
            continue
        where = "this host" if owner.get("host") == socket.gethostname() else "host"
        parts.append(
            f"{path}: pid {owner['pid']} on {where} {owner.get('host')}, started "
            f"{owner.get('started_at')} ({owner.get('command')})"
        )
    return (
        f"Another trainer holds {workdir}: " + "; ".join(parts) + ". Two trainers on one "
        "workdir would overwrite each other's checkpoints and outputs. Wait for it to "
        "finish or use another --workdir. If no trainer runs on this workdir any more (one "
        "killed on another machine leaves its lock file), delete the file named and start "
        "again."
    )
