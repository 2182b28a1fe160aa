import os

import pytest

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
    import tensorflow as tf

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
