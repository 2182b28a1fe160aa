import os
import threading

import pytest
import tensorflow as tf

from tf_pixelcnn.serving import versioned_directory


def test_next_version_ignores_other_names(tmp_path):
    assert versioned_directory.resolve_version(str(tmp_path / "missing"), None) == 1
    for name in ("1", "7", ".tmp-version-9-x", "notes"):
        (tmp_path / name).mkdir()
    (tmp_path / "12").write_text("a file, not a version")
    assert versioned_directory.existing_versions(str(tmp_path)) == [1, 7]
    assert versioned_directory.resolve_version(str(tmp_path), None) == 8
    assert versioned_directory.resolve_version(str(tmp_path), 3) == 3
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="positive integer"):
            versioned_directory.resolve_version(str(tmp_path), bad)


def test_write_is_atomic_and_cleans_up(tmp_path):
    def write(directory):
        assert os.path.basename(directory).startswith(".tmp-version-1-")
        assert not (tmp_path / "1").exists()  # invisible until complete
        (tmp_path / "marker").write_text("seen")
        with open(os.path.join(directory, "saved_model.pb"), "w") as f:
            f.write("ok")

    final = versioned_directory.write_version_atomically(str(tmp_path), 1, write)
    assert open(os.path.join(final, "saved_model.pb")).read() == "ok"

    def broken(directory):
        raise OSError("no space left")

    with pytest.raises(OSError):
        versioned_directory.write_version_atomically(str(tmp_path), 2, broken)
    assert sorted(os.listdir(tmp_path)) == ["1", "marker"]


def test_versions_are_readable_by_every_user(tmp_path):
    def write(directory):
        os.makedirs(os.path.join(directory, "variables"))
        for name in ("saved_model.pb", "variables/variables.index"):
            with open(os.path.join(directory, name), "w") as f:
                f.write("x")
        os.chmod(os.path.join(directory, "saved_model.pb"), 0o600)

    final = versioned_directory.write_version_atomically(str(tmp_path / "base"), 1, write)
    for root, directories, files in os.walk(final):
        assert os.stat(root).st_mode & 0o777 == 0o755, root
        for name in files:
            assert os.stat(os.path.join(root, name)).st_mode & 0o644 == 0o644, name


def test_object_store_paths_get_saved_model_pb_last_and_no_half_version(monkeypatch):
    base = "ram://versioned_directory_test/models"

    def write(directory):
        tf.io.gfile.makedirs(directory + "/variables")
        for name in ("saved_model.pb", "variables/variables.index", "fingerprint.pb"):
            with tf.io.gfile.GFile(f"{directory}/{name}", "w") as f:
                f.write(name)

    copied = []
    real_copy = tf.io.gfile.copy

    def recording_copy(source, target, overwrite=False):
        copied.append(target.rsplit("/", 1)[-1])
        return real_copy(source, target, overwrite)

    monkeypatch.setattr(tf.io.gfile, "copy", recording_copy)
    final = versioned_directory.write_version_atomically(base, 1, write)
    assert final == base + "/1" and copied[-1] == "saved_model.pb" and len(copied) == 3
    with tf.io.gfile.GFile(final + "/variables/variables.index") as f:
        assert f.read() == "variables/variables.index"
    assert [n.rstrip("/") for n in tf.io.gfile.listdir(base)] == ["1"]  # staging removed

    def fails_half_way(source, target, overwrite=False):
        if len(copied) == 4:
            raise tf.errors.UnavailableError(None, None, "connection reset")
        return recording_copy(source, target, overwrite)

    monkeypatch.setattr(tf.io.gfile, "copy", fails_half_way)
    with pytest.raises(tf.errors.UnavailableError):
        versioned_directory.write_version_atomically(base, 2, write)
    assert [n.rstrip("/") for n in tf.io.gfile.listdir(base)] == ["1"]
    with pytest.raises(FileExistsError, match="could not appear in one step"):
        versioned_directory.write_version_atomically(base, 1, write, overwrite=True)


# Issue 19 §1.1: two exports to one base never replace each other's version.


def _model_writer(name, ready=None, proceed=None):
    """A `write` that stages a one-file "model" named `name`; with events, it signals
    `ready` and waits for `proceed` (another export publishes meanwhile)."""

    def write(directory):
        if ready is not None:
            ready.set()
            assert proceed.wait(60)
        with tf.io.gfile.GFile(f"{directory}/saved_model.pb", "w") as f:
            f.write(name)

    return write


def _read(base, version):
    with tf.io.gfile.GFile(f"{base}/{version}/saved_model.pb") as f:
        return f.read()


@pytest.fixture(params=["local", "ram"])
def base(request, tmp_path):
    """An export base on a local path (rename) or a TensorFlow URL filesystem (claims)."""
    if request.param == "local":
        return str(tmp_path / "models")
    return f"ram://versioned_directory_race_{os.getpid()}_{tmp_path.name}/models"


def _listing(base):
    return sorted(name.rstrip("/") for name in tf.io.gfile.listdir(base))


def test_two_racing_exports_both_publish_a_version(base):
    """The probe: both exports choose their version while neither has published."""
    ready, proceed = threading.Event(), threading.Event()
    results = {}

    def slow_export():
        results["slow"] = versioned_directory.write_version_atomically(
            base, None, _model_writer("slow", ready, proceed)
        )

    thread = threading.Thread(target=slow_export)
    thread.start()
    assert ready.wait(60)  # the slow export is writing, having seen no version
    fast = versioned_directory.write_version_atomically(base, None, _model_writer("fast"))
    proceed.set()
    thread.join(60)
    assert fast.endswith("/1") and results["slow"].endswith("/2")
    assert _read(base, 1) == "fast" and _read(base, 2) == "slow"
    assert _listing(base) == ["1", "2"]  # no staging directory or claim left


def test_exports_publishing_at_the_same_moment_get_distinct_versions(base):
    """Four exports finish writing, then all publish at once (claims collide on `ram://`)."""
    count = 4
    barrier = threading.Barrier(count)
    paths, errors = [], []

    def export(name):
        def write(directory):
            _model_writer(name)(directory)
            barrier.wait(60)

        try:
            paths.append(versioned_directory.write_version_atomically(base, None, write))
        except (OSError, tf.errors.OpError) as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=export, args=(f"m{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(path.rsplit("/", 1)[-1] for path in paths) == ["1", "2", "3", "4"]
    assert sorted(_read(base, v) for v in range(1, count + 1)) == ["m0", "m1", "m2", "m3"]
    assert _listing(base) == ["1", "2", "3", "4"]


def test_an_explicit_version_published_meanwhile_is_refused_not_replaced(base):
    def write_while_another_publishes(directory):
        versioned_directory.write_version_atomically(base, 3, _model_writer("first"))
        _model_writer("second")(directory)

    with pytest.raises(FileExistsError, match=r"Version 3 already exists.*another export"):
        versioned_directory.write_version_atomically(base, 3, write_while_another_publishes)
    assert _read(base, 3) == "first"
    assert _listing(base) == ["3"]


def test_explicit_existing_version_is_refused_before_writing(base):
    versioned_directory.write_version_atomically(base, 1, _model_writer("old"))

    def never(directory):
        raise AssertionError("write must not run")

    with pytest.raises(FileExistsError, match=r"Version 1 already exists.*versions: \[1\]"):
        versioned_directory.write_version_atomically(base, 1, never)
    assert _read(base, 1) == "old"


def test_a_version_claimed_by_another_export_is_not_taken():
    """URL filesystems: a claim file stands for an export copying that version now."""
    base = f"ram://versioned_directory_claim_{os.getpid()}/models"
    tf.io.gfile.makedirs(base)
    rival = f"{base}/.publish-1-{'ab' * 16}"
    with tf.io.gfile.GFile(rival, "w") as f:
        f.write("{}")
    path = versioned_directory.write_version_atomically(base, None, _model_writer("mine"))
    assert path == base + "/2" and _read(base, 2) == "mine"
    with pytest.raises(FileExistsError, match=r"Version 1 .* being published by another export"):
        versioned_directory.write_version_atomically(base, 1, _model_writer("mine"))
    assert not tf.io.gfile.exists(base + "/1")
    assert _listing(base) == [".publish-1-" + "ab" * 16, "2"]  # only the rival's claim


def test_overwrite_replaces_in_one_step_and_leaves_nothing_behind(tmp_path, monkeypatch):
    base = str(tmp_path)
    versioned_directory.write_version_atomically(base, 1, _model_writer("old"))
    if versioned_directory._libc_renameat2() is not None:  # Linux: one exchange, no gap

        def two_step_rename(source, target):
            raise AssertionError(f"version 1 would be absent after renaming {source}")

        monkeypatch.setattr(os, "rename", two_step_rename)
    versioned_directory.write_version_atomically(base, 1, _model_writer("new"), overwrite=True)
    monkeypatch.undo()
    assert _read(base, 1) == "new" and sorted(os.listdir(base)) == ["1"]


def test_overwrite_keeps_the_old_version_when_the_new_one_fails_to_publish(tmp_path, monkeypatch):
    """Without renameat2's exchange the old version is renamed aside, then the new one in;
    if that second rename fails the old version must be back in place."""
    base = str(tmp_path)
    versioned_directory.write_version_atomically(base, 1, _model_writer("old"))
    monkeypatch.setattr(versioned_directory, "_renameat2", lambda *args: False, raising=False)
    real_rename = os.rename

    def failing_rename(source, target):
        if os.path.basename(source).startswith(".tmp-version-"):
            raise OSError(28, "No space left on device")
        return real_rename(source, target)

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(OSError, match="No space left"):
        versioned_directory.write_version_atomically(base, 1, _model_writer("new"), overwrite=True)
    monkeypatch.undo()
    assert _read(base, 1) == "old"
    assert sorted(os.listdir(base)) == ["1"]


def test_file_urls_are_published_by_rename(tmp_path):
    base = "file://" + str(tmp_path / "models")
    assert versioned_directory.write_version_atomically(base, None, _model_writer("a")) == (
        base + "/1"
    )
    assert versioned_directory.write_version_atomically(
        base, 1, _model_writer("b"), overwrite=True
    ) == (base + "/1")
    assert _read(str(tmp_path / "models"), 1) == "b"
