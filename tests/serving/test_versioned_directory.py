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
