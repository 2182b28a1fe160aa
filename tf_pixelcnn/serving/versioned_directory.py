"""Integer-versioned export directories that appear whole and are never replaced by
accident (what TF Serving polls).

A version is written to a hidden staging directory in the export base, then published.
Publishing checks that the version is free and makes it appear in one atomic step, so
two exports racing to one base never replace each other: with no version asked for,
the later one takes the next free number; with an explicit version, it refuses. An
existing version is replaced only with `overwrite=True`.

What is atomic, per filesystem:

- Local paths (and `file://`): `renameat2(RENAME_NOREPLACE)` (Linux) renames the staging
  directory to `<base>/<version>` or fails with `EEXIST`; elsewhere POSIX `rename(2)`
  does the same for a version, which is never empty (a directory renamed onto a non-empty
  directory fails with `ENOTEMPTY`/`EEXIST`; onto an empty one, which holds no version, it
  replaces it). With `overwrite=True`, `renameat2(RENAME_EXCHANGE)` swaps the new and the
  old version in one step; where it does not exist the old version is renamed aside and
  the new one renamed in (for the moment between the two renames the version is absent;
  if the second rename fails the old version is put back).
- URL filesystems (`gs://`, `s3://`, `hdfs://`, `ram://`): `tf.io.gfile` offers no atomic
  primitive: `rename(overwrite=False)` and `copy(overwrite=False)` check for the target,
  then act (two calls in TensorFlow's file-io wrapper), and object stores rename a
  directory object by object. So an export claims the version: it writes a claim file
  `<base>/.publish-<version>-<id>`, lists the base, and proceeds only if its claim is the
  only one for that version and the version does not exist; it then copies the staged
  files into `<base>/<version>/`, `saved_model.pb` last (TF Serving's loader finds no
  SavedModel there until that one file, written in one piece, is there), and deletes its
  claim. Of two exports, the one that lists later sees the other's claim, so at most one
  proceeds. This needs listings that show every finished write: true of GCS, S3 (since
  December 2020), HDFS and `ram://`. The loser takes the next version, or, for an
  explicit version, retries a few times and then refuses. A claim left by a killed export
  makes later exports skip that number, or names the claim file to delete. Replacing a
  version is refused here: it could not appear in one step.

TF Serving ignores the hidden names (`.tmp-version-*`, `.publish-*`, `.old-version-*`).
"""

import ctypes
import errno
import functools
import json
import os
import posixpath
import random
import re
import socket
import stat
import time
import uuid
from typing import Callable, List, Optional

import tensorflow as tf

VERSION_PATTERN = re.compile(r"^[0-9]+$")
SAVED_MODEL_FILE = "saved_model.pb"
# Readable by a model server running as another user (as tf.saved_model.save leaves it).
_DIRECTORY_MODE = 0o755
_FILE_MODE = 0o644
_CLAIM_PATTERN = re.compile(r"^\.publish-([0-9]+)-[0-9a-f]+$")
_CLAIM_ATTEMPTS = 5  # tries for an explicit version that another export also claims
# rename(2) onto a name that is taken: a file, a non-empty directory, or (renameat2) anything.
_TAKEN = (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR)
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


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
    """`version`, checked, or one more than the newest existing version (1 if none).

    Only a hint for `version=None`: `write_version_atomically` picks the number when it
    publishes, and another export may take this one first.
    """
    if version is None:
        return max(existing_versions(export_base), default=0) + 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer. Received: version={version!r}.")
    return version


def renames_directories_atomically(path: str) -> bool:
    """True for local paths (POSIX rename); False for every URL scheme (`gs://`, ...)."""
    return "://" not in path or path.startswith("file://")


def write_version_atomically(
    export_base: str,
    version: Optional[int],
    write: Callable[[str], None],
    overwrite: bool = False,
) -> str:
    """Calls `write(directory)` on a hidden staging directory, then publishes it as
    `export_base/<version>` in one atomic step (see the module docstring).

    TF Serving watches `export_base` and must never see a half-written version. A failure
    leaves no version directory and earlier versions untouched. A published version is
    never replaced, not even by an export racing this one, unless `overwrite=True` (local
    paths only: elsewhere a replacement could not appear in one step). The version is
    readable by every user (directories 755, files 644), like any SavedModel.

    Args:
        export_base: The directory TF Serving's `--model_base_path` points at.
        version: A positive integer, or None for the next free version, chosen when the
            version is published (an export that finishes first takes the lower number).
        write: Writes the version's files into the directory it is given.
        overwrite: Replace `version` if it exists (otherwise `FileExistsError`).

    Returns:
        `export_base/<version>`.

    Raises:
        FileExistsError: `version` exists (or appeared while `write` ran) and not
            `overwrite`, or another export is publishing it.
    """
    atomic = renames_directories_atomically(export_base)
    if version is not None:
        version = resolve_version(export_base, version)  # checked
        # Fails before the (slow) write; publishing checks again, atomically.
        if tf.io.gfile.exists(_join(export_base, str(version))) and not (overwrite and atomic):
            raise _version_exists(export_base, version, atomic)
    tf.io.gfile.makedirs(export_base)
    name = "next" if version is None else version
    staging = _join(export_base, f".tmp-version-{name}-{uuid.uuid4().hex}")
    try:
        tf.io.gfile.makedirs(staging)
        write(staging)
        if atomic:
            _make_readable(_local(staging))
            published = _publish_by_rename(staging, export_base, version, overwrite)
        else:
            published = _publish_by_claim(staging, export_base, version)
    finally:
        remove_tree(staging)  # after an exchange it holds the replaced version
    return _join(export_base, str(published))


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


def _local(path: str) -> str:
    """The operating-system path of a local path or `file://` URL."""
    return path.removeprefix("file://")


def _version_exists(
    export_base: str, version: int, atomic: bool, note: str = ""
) -> FileExistsError:
    return FileExistsError(
        f"Version {version} already exists in {export_base} (versions: "
        f"{existing_versions(export_base)}){note}. "
        + (
            "Pass overwrite=True to replace it, or no version to write the next one."
            if atomic
            else "Write the next version instead: on this filesystem a replaced version "
            "could not appear in one step."
        )
    )


_RACED = "; another export published it while this one was being written"


def _make_readable(directory: str) -> None:
    for root, directories, files in os.walk(directory):
        os.chmod(root, _DIRECTORY_MODE)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | _FILE_MODE)


def _publish_by_rename(
    staging: str, export_base: str, version: Optional[int], overwrite: bool
) -> int:
    """Renames `staging` to `<base>/<version>`, the check and the publish in one call;
    with `version=None` to the lowest free number above the newest version. Returns the
    version."""
    candidate = 0
    while True:
        if version is None:
            candidate = max(resolve_version(export_base, None), candidate + 1)
        else:
            candidate = version
        final = _local(_join(export_base, str(candidate)))
        try:
            _rename_no_replace(_local(staging), final)
            return candidate
        except OSError as error:
            if error.errno not in _TAKEN:
                raise
        if version is None:
            continue  # another export took this number: try the next one
        if not overwrite:
            raise _version_exists(export_base, version, True, _RACED)
        if _replace(_local(staging), final, _local(export_base), version):
            return version
        # The old version disappeared between the two calls: publish as a new one.


def _rename_no_replace(source: str, target: str) -> None:
    """Renames directory `source` to `target`; raises `OSError` (`EEXIST`, `ENOTEMPTY`,
    `ENOTDIR`) if `target` is taken, in the same system call."""
    if not _renameat2(source, target, _RENAME_NOREPLACE):
        os.rename(source, target)  # POSIX: fails if `target` is a non-empty directory


def _replace(staging: str, final: str, export_base: str, version: int) -> bool:
    """Puts `staging` in the place of the existing `final`; the old version ends in
    `staging` (exchanged) or is deleted. False if `final` no longer exists."""
    try:
        if _renameat2(staging, final, _RENAME_EXCHANGE):
            return True
    except FileNotFoundError:
        return False
    retired = os.path.join(export_base, f".old-version-{version}-{uuid.uuid4().hex}")
    try:
        os.rename(final, retired)
    except FileNotFoundError:
        return False
    try:
        _rename_no_replace(staging, final)
    except BaseException:
        try:
            _rename_no_replace(retired, final)  # the old version comes back
        except OSError as error:
            raise OSError(
                f"Replacing version {version} in {export_base} failed and the old version "
                f"could not be put back: it is kept in {retired}."
            ) from error
        raise
    remove_tree(retired)
    return True


@functools.cache
def _libc_renameat2():
    """glibc's `renameat2` (2.28+), or None (other C libraries, other systems)."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _renameat2(source: str, target: str, flags: int) -> bool:
    """`renameat2(source, target, flags)`: True when done, False where the system or the
    filesystem does not support it; any other failure raises `OSError` with its errno."""
    function = _libc_renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), source, None, target)


def _claims(export_base: str, version: int) -> List[str]:
    """Names of the claim files for `version` in `export_base`."""
    return sorted(
        name.rstrip("/")
        for name in tf.io.gfile.listdir(export_base)
        if (match := _CLAIM_PATTERN.match(name.rstrip("/"))) and int(match.group(1)) == version
    )


def _claimed_versions(export_base: str) -> List[int]:
    return [
        int(match.group(1))
        for name in tf.io.gfile.listdir(export_base)
        if (match := _CLAIM_PATTERN.match(name.rstrip("/")))
    ]


def _publish_by_claim(staging: str, export_base: str, version: Optional[int]) -> int:
    """Copies `staging` to `<base>/<version>` once this export holds the only claim on a
    version that does not exist (see the module docstring). Returns the version."""
    owner = uuid.uuid4().hex
    candidate, attempt = 0, 0
    while True:
        attempt += 1
        if version is None:
            candidate = max(
                resolve_version(export_base, None),
                max(_claimed_versions(export_base), default=0) + 1,
                candidate + 1,
            )
        else:
            candidate = version
        final = _join(export_base, str(candidate))
        if tf.io.gfile.exists(final):
            if version is not None:
                raise _version_exists(export_base, version, False, _RACED)
            continue
        claim = f".publish-{candidate}-{owner}"
        with tf.io.gfile.GFile(_join(export_base, claim), "w") as f:
            json.dump({"host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}, f)
        try:
            rivals = [name for name in _claims(export_base, candidate) if name != claim]
            if not rivals and not tf.io.gfile.exists(final):
                _copy_saved_model_last(staging, final)
                return candidate
        finally:
            tf.io.gfile.remove(_join(export_base, claim))
        if version is not None and attempt >= _CLAIM_ATTEMPTS and rivals:
            paths = [_join(export_base, name) for name in rivals]
            raise FileExistsError(
                f"Version {version} in {export_base} is being published by another export "
                f"(its claim: {paths}). Write another version, or try again when it is done; "
                "if no other export is running, a killed one left the claim: delete it."
            )
        time.sleep(random.uniform(0.0, 0.05 * attempt))  # two exports that met: break the tie


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
