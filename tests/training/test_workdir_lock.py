"""One trainer per workdir (issue 19, §1.6): a second trainer is refused with the holder
named; a lock left by a dead process on this host is removed; any gfile filesystem."""

import json
import os
import socket
import subprocess
import sys
import uuid

import pytest
import tensorflow as tf

from configs import smoke
from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate
from tf_pixelcnn.training.workdir_lock import StaleLockWarning, WorkdirLock, WorkdirLockedError
from tf_pixelcnn.utils.progress_line import ProgressLine


def _lock_files(workdir) -> list:
    return tf.io.gfile.glob(os.path.join(str(workdir), "trainer_lock.*.json"))


def _write_lock(workdir, **owner) -> str:
    path = os.path.join(str(workdir), "trainer_lock.someone.json")
    tf.io.gfile.makedirs(str(workdir))
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(json.dumps({"token": "someone", "started_at": "2026-01-01T00:00:00", **owner}))
    return path


def test_a_second_trainer_is_refused_while_the_first_runs(tmp_path, monkeypatch):
    """The second trainer starts while the first is at its step 3 (called from the first
    one's progress line: TensorFlow's preemption handler wants the main thread)."""
    config = smoke.get_config()
    config.train.update(num_steps=6, checkpoint_every=3, log_every=3, num_samples=0)
    second = {}
    real_update = ProgressLine.update

    def update(self, step, **metrics):
        if step == 3 and not second:
            second["started"] = True  # once: (before the fix) it reaches its step 3 too
            try:
                second["results"] = train_and_evaluate(config.to_dict(), str(tmp_path))
            except WorkdirLockedError as error:
                second["error"] = error
        real_update(self, step, **metrics)

    monkeypatch.setattr(ProgressLine, "update", update)
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    assert "results" not in second, "the second trainer ran on the first one's workdir"
    message = str(second["error"])
    assert f"Another trainer holds {tmp_path}: {tmp_path}/trainer_lock." in message
    assert f"pid {os.getpid()} on this host {socket.gethostname()}" in message
    assert "delete the file named" in message
    assert results["step"] == 6 and results["resumed_from_step"] == 0  # undisturbed
    assert _lock_files(tmp_path) == []  # released at its end


def test_a_lock_of_a_dead_process_on_this_host_is_removed_with_a_warning(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = _write_lock(tmp_path, host=socket.gethostname(), pid=dead.pid, process_start=None)
    with pytest.warns(StaleLockWarning, match=f"stale lock file {stale}.*pid {dead.pid}"):
        with WorkdirLock(str(tmp_path)) as lock:
            assert _lock_files(tmp_path) == [lock.path]
    assert _lock_files(tmp_path) == []


def test_a_reused_pid_is_told_apart_by_its_start_time(tmp_path):
    stale = _write_lock(tmp_path, host=socket.gethostname(), pid=os.getpid(), process_start=1)
    with pytest.warns(StaleLockWarning, match=stale):
        WorkdirLock(str(tmp_path)).acquire()


def test_a_lock_of_another_host_is_refused_with_how_to_remove_it(tmp_path):
    held = _write_lock(tmp_path, host="worker-7.example", pid=4242, command="launch/train.py")
    with pytest.raises(WorkdirLockedError) as raised:
        WorkdirLock(str(tmp_path)).acquire()
    message = str(raised.value)
    assert f"{held}: pid 4242 on host worker-7.example, started 2026-01-01T00:00:00" in message
    assert "If no trainer runs on this workdir any more" in message and "delete the file" in message
    assert _lock_files(tmp_path) == [held]  # the refused one left nothing


def test_the_lock_works_on_a_filesystem_without_exclusive_create():
    workdir = f"ram://tf_pixelcnn_lock_{uuid.uuid4().hex}/run"
    with WorkdirLock(workdir):
        with pytest.raises(WorkdirLockedError, match="Another trainer holds ram://"):
            WorkdirLock(workdir).acquire()
        assert len(_lock_files(workdir)) == 1
    with WorkdirLock(workdir):  # released: the next trainer takes it
        pass
    assert _lock_files(workdir) == []
