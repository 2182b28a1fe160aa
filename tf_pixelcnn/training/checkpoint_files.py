"""A directory's checkpoints, newest first, and restoring the newest one that reads.

A `tf.train.CheckpointManager` lists its checkpoints in `<directory>/checkpoint` (its
state file). Without that file `tf.train.latest_checkpoint` finds nothing and a run would
start again at step 0 over the checkpoints that are still there; `checkpoint_candidates`
then recovers the list from the `<prefix>.index` files (with a warning) and
`restore_newest(..., repair_state=True)` writes the state file again. A checkpoint that
cannot be read (a truncated `.data-*` or `.index` file) is reported with the file that is
at fault; `restore_newest` falls back to the newest older one that reads, with a warning.

    checkpoints/
      checkpoint                      the state file (text CheckpointState)
      ckpt-20.index                   tensor names, shapes and offsets
      ckpt-20.data-00000-of-00001     the values
"""

import contextlib
import os
import re
import warnings
from typing import Callable, List, Optional, Tuple

import tensorflow as tf
from google.protobuf import text_format

from tf_pixelcnn.utils.text_file import write_text

STATE_FILE = "checkpoint"

__all__ = [
    "CheckpointRecoveryWarning",
    "UnreadableCheckpointError",
    "checkpoint_candidates",
    "naming_unreadable_files",
    "readable_alternatives",
    "restore_named",
    "restore_newest",
]


class UnreadableCheckpointError(OSError):
    """A checkpoint's `.index` or `.data-*` file is missing, truncated or corrupt."""


class CheckpointRecoveryWarning(UserWarning):
    """A checkpoint was found without the state file, or an unreadable one was skipped."""


def checkpoint_candidates(directory: str) -> Tuple[List[str], bool]:
    """The checkpoint prefixes of `directory`, newest first, and whether they were
    recovered from the `.index` files (the state file is missing, unreadable or stale).

    The state file's list when it names a checkpoint that exists (entries whose `.index`
    file is gone are left out); else every `<name>-<number>.index` of `directory`, by
    number.
    """
    state_path = os.path.join(directory, STATE_FILE)
    state = None
    if tf.io.gfile.exists(state_path):
        try:
            state = tf.train.get_checkpoint_state(directory)  # None when unparseable
        except ValueError:  # an empty file: no model_checkpoint_path
            state = None
    if state is not None:
        listed = list(state.all_model_checkpoint_paths) or [state.model_checkpoint_path]
        if state.model_checkpoint_path not in listed:
            listed.append(state.model_checkpoint_path)
        existing = [p for p in reversed(listed) if tf.io.gfile.exists(p + ".index")]
        if existing:
            return existing, False
    numbered = []
    for path in tf.io.gfile.glob(os.path.join(directory, "*.index")):
        match = re.fullmatch(r"(.+)-(\d+)\.index", os.path.basename(path))
        if match:
            numbered.append((int(match.group(2)), path[: -len(".index")]))
    return [prefix for _, prefix in sorted(numbered, reverse=True)], bool(numbered)


@contextlib.contextmanager
def naming_unreadable_files(prefix: str):
    """Turns the errors of reading checkpoint `prefix` (`IndexError: Read less bytes than
    requested` of a truncated `.data-*` file, `DataLossError: not an sstable` of a
    truncated `.index`, a missing shard) into an `UnreadableCheckpointError` that names
    the file at fault."""
    try:
        yield
    except (IndexError, tf.errors.OpError) as error:
        raise UnreadableCheckpointError(_describe(prefix, error)) from None


def readable_alternatives(prefix: str) -> List[str]:
    """The other checkpoints of `prefix`'s directory, newest first, whose `.index` opens
    and whose `.data-*` shards are all there (their values are read on restore only)."""
    candidates, _ = checkpoint_candidates(os.path.dirname(prefix))
    return [p for p in candidates if p != prefix and _unreadable_reason(p) is None]


def restore_newest(
    directory: str, restore: Callable[[str], None], repair_state: bool = False
) -> Optional[str]:
    """Restores the newest checkpoint of `directory` that reads, and returns its prefix
    (None when there is no checkpoint).

    Args:
        directory: A `tf.train.CheckpointManager` directory.
        restore: Restores one prefix; raises `UnreadableCheckpointError` when its files
            cannot be read (any other error propagates, e.g. a checkpoint of another
            model).
        repair_state: Rewrite the state file when it was missing or when a newer
            checkpoint was skipped, so that `tf.train.latest_checkpoint` and the manager's
            rotation see the checkpoint restored and the older ones (the process that
            writes checkpoints: the chief).

    Raises:
        UnreadableCheckpointError: there are checkpoints and none of them reads (each
            named with its file).
    """
    candidates, recovered = checkpoint_candidates(directory)
    if recovered:
        names = ", ".join(os.path.basename(p) for p in candidates)
        warnings.warn(
            f"{os.path.join(directory, STATE_FILE)} (the CheckpointManager's list of "
            f"checkpoints) is missing, unreadable or names no checkpoint that exists, but "
            f"{directory} holds {names}: "
            f"resuming from the newest that reads instead of starting again at step 0.",
            CheckpointRecoveryWarning,
            stacklevel=2,
        )
    failures = []
    for index, prefix in enumerate(candidates):
        try:
            restore(prefix)
        except UnreadableCheckpointError as error:
            failures.append(str(error))
            continue
        if failures:
            warnings.warn(
                " ".join(failures) + f" Restored the next older checkpoint, {prefix}, "
                "instead (the unreadable files are left in place; a save at their step "
                "replaces them).",
                CheckpointRecoveryWarning,
                stacklevel=2,
            )
        if repair_state and (recovered or failures):
            _write_state(directory, list(reversed(candidates[index:])))
        return prefix
    if failures:
        raise UnreadableCheckpointError(
            f"No checkpoint in {directory} can be read, so the run cannot resume: "
            + " ".join(failures)
            + f" Restore the files from a copy, or move {directory} away to start again."
        )
    return None


def _write_state(directory: str, prefixes: List[str]) -> None:
    """Writes the state file listing `prefixes` (oldest first; the last is the newest),
    with their `.index` files' times so that the manager rotates them as its own."""
    stamps = [tf.io.gfile.stat(p + ".index").mtime_nsec / 1e9 for p in prefixes]
    names = [os.path.basename(p) for p in prefixes]
    state = tf.compat.v1.train.generate_checkpoint_state_proto(
        directory,
        names[-1],
        all_model_checkpoint_paths=names,
        all_model_checkpoint_timestamps=stamps,
        last_preserved_timestamp=min(stamps) - 1.0,
    )
    write_text(os.path.join(directory, STATE_FILE), text_format.MessageToString(state))


def _shards(prefix: str) -> Tuple[List[str], int]:
    """The `.data-NNNNN-of-MMMMM` files of `prefix` and the number the names announce."""
    files = sorted(tf.io.gfile.glob(prefix + ".data-*"))
    match = re.search(r"-of-(\d+)$", files[0]) if files else None
    return files, int(match.group(1)) if match else 1


def _unreadable_reason(prefix: str) -> Optional[str]:
    """Why `prefix` cannot be read, from what can be told without reading its values."""
    index = prefix + ".index"
    if not tf.io.gfile.exists(index):
        return f"{index} is missing"
    try:
        tf.compat.v1.train.NewCheckpointReader(prefix)  # reads the whole .index file
    except (IndexError, tf.errors.OpError) as error:
        return f"{index} ({_size(index)}) is truncated or corrupt ({_first_line(error)})"
    files, expected = _shards(prefix)
    if len(files) != expected:
        return (
            f"{prefix}.data-* has {len(files)} of its {expected} shard file(s)"
            + (f" ({', '.join(files)})" if files else "")
        )
    return None


def _describe(prefix: str, error: BaseException) -> str:
    reason = _unreadable_reason(prefix)
    if reason is None:  # the index reads: a value in a .data file does not
        files, _ = _shards(prefix)
        named = ", ".join(f"{f} ({_size(f)})" for f in files)
        reason = f"{named} is truncated or corrupt ({type(error).__name__}: {_first_line(error)})"
    return f"Checkpoint {prefix} cannot be read: {reason}."


def _size(path: str) -> str:
    return f"{tf.io.gfile.stat(path).length} bytes"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def restore_named(prefix: str, restore: Callable[[str], None]) -> None:
    """Restores the checkpoint `prefix` that a user named; when its files cannot be read,
    the error names them and the directory's other checkpoints that look intact.

    Raises:
        UnreadableCheckpointError: as `naming_unreadable_files`, with the alternatives.
    """
    try:
        restore(prefix)
    except UnreadableCheckpointError as error:
        directory, others = os.path.dirname(prefix), readable_alternatives(prefix)
        if others:
            intact = ", ".join(others)
            hint = f" Checkpoints of {directory} that look intact, newest first: {intact}."
        else:
            hint = f" No other checkpoint of {directory} looks intact."
        raise UnreadableCheckpointError(f"{error}{hint}") from None
