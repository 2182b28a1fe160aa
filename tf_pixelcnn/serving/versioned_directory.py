"""Integer-versioned export directories that appear whole (what TF Serving polls).

Any filesystem TensorFlow supports. Where directories rename atomically (local and
POSIX paths) a version is written to a hidden directory next to it and renamed into
place. Object stores and other filesystems (`gs://`, `s3://`, `hdfs://`, `ram://`) have
no atomic directory rename, so there the version is staged in a hidden directory and
copied into `<base>/<version>/` with `saved_model.pb` last: TF Serving's loader finds no
SavedModel in the directory until that one file, written in one piece, is there, and by
then every variable and asset is in place.
"""

import os
import posixpath
import re
import stat
import uuid
from typing import Callable, List, Optional

import tensorflow as tf

VERSION_PATTERN = re.compile(r"^[0-9]+$")
SAVED_MODEL_FILE = "saved_model.pb"
# Readable by a model server running as another user (as tf.saved_model.save leaves it).
_DIRECTORY_MODE = 0o755
_FILE_MODE = 0o644


def existing_versions(export_base: str) -> List[int]:
    """Sorted integer versions under `export_base` (other names are ignored, as by TF Serving)."""
    if not tf.io.gfile.isdir(export_base):
        return []
    return sorted(
        int(name.rstrip("/"))
        for name in tf.io.gfile.listdir(export_base)
        if VERSION_PATTERN.match(name.rstrip("/"))
        and tf.io.gfile.isdir(_join(export_base, name.rstrip("/")))
    )


def resolve_version(export_base: str, version: Optional[int]) -> int:
    """`version`, checked, or one more than the newest existing version (1 if none)."""
    if version is None:
        return max(existing_versions(export_base), default=0) + 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer. Received: version={version!r}.")
    return version


def renames_directories_atomically(path: str) -> bool:
    """True for local paths (POSIX rename); False for every URL scheme (`gs://`, ...)."""
    return "://" not in path or path.startswith("file://")


def write_version_atomically(
    export_base: str, version: int, write: Callable[[str], None], overwrite: bool = False
) -> str:
    """Calls `write(directory)` on a hidden staging directory, then makes it appear as
    `export_base/<version>` in one step (see the module docstring for object stores).

    TF Serving watches `export_base` and must never see a half-written version. A failure
    leaves no version directory and earlier versions untouched; an existing version is
    replaced only with `overwrite=True` (on local paths only: elsewhere a replacement
    could not appear in one step). The version is readable by every user (directories
    755, files 644), like any SavedModel.

    Returns:
        `export_base/<version>`.
    """
    final = _join(export_base, str(version))
    atomic = renames_directories_atomically(export_base)
    if tf.io.gfile.exists(final) and not (overwrite and atomic):
        raise FileExistsError(
            f"Version {version} already exists in {export_base} (versions: "
            f"{existing_versions(export_base)}). "
            + (
                "Pass overwrite=True to replace it, or no version to write the next one."
                if atomic
                else "Write the next version instead: on this filesystem a replaced version "
                "could not appear in one step."
            )
        )
    tf.io.gfile.makedirs(export_base)
    staging = _join(export_base, f".tmp-version-{version}-{uuid.uuid4().hex}")
    try:
        tf.io.gfile.makedirs(staging)
        write(staging)
        if atomic:
            _make_readable(staging)
            _rename_into_place(staging, final, export_base, version)
        else:
            _copy_saved_model_last(staging, final)
    finally:
        remove_tree(staging)
    return final


def remove_tree(path: str) -> None:
    """Deletes `path` and everything under it, if it exists: files first, then the
    directories (some filesystems, e.g. `ram://`, refuse `rmtree` of a tree of files)."""
    if not tf.io.gfile.exists(path):
        return
    for file in _files_under(path):
        tf.io.gfile.remove(file)
    try:
        tf.io.gfile.rmtree(path)
    except tf.errors.NotFoundError:
        pass  # object stores: no directories left once their objects are gone


def _files_under(path: str) -> List[str]:
    """Every file under `path`. Listings are checked: `ram://` lists `a/b.c/x` under
    `a/b` too (as `a/b/.c/x`, which does not exist)."""
    files = []
    for root, _, names in tf.io.gfile.walk(path):
        for name in names:
            file = _join(root, name)
            if tf.io.gfile.exists(file) and not tf.io.gfile.isdir(file):
                files.append(file)
    return sorted(set(files))


def _join(base: str, name: str) -> str:
    return posixpath.join(base, name) if "://" in base else os.path.join(base, name)


def _make_readable(directory: str) -> None:
    for root, directories, files in os.walk(directory):
        os.chmod(root, _DIRECTORY_MODE)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | _FILE_MODE)


def _rename_into_place(staging: str, final: str, export_base: str, version: int) -> None:
    if os.path.exists(final):  # overwrite: move the old version aside, then swap
        retired = _join(export_base, f".old-version-{version}-{uuid.uuid4().hex}")
        os.rename(final, retired)
        os.rename(staging, final)
        remove_tree(retired)
    else:
        os.rename(staging, final)


def _copy_saved_model_last(staging: str, final: str) -> None:
    """Copies the staged version file by file; `saved_model.pb` comes last, so the
    directory holds no loadable SavedModel until it is complete."""
    files = _files_under(staging)
    files.sort(key=lambda path: posixpath.basename(path) == SAVED_MODEL_FILE)
    try:
        for source in files:
            target = final + source[len(staging) :]
            tf.io.gfile.makedirs(posixpath.dirname(target))
            tf.io.gfile.copy(source, target, overwrite=False)
    except BaseException:
        remove_tree(final)  # never leave half a version behind
        raise
