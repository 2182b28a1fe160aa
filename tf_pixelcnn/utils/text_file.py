"""Small text files (JSON metadata) on any filesystem TensorFlow supports."""

import tensorflow as tf


def write_text(path: str, text: str) -> str:
    """Replaces `path` with `text`: through a temporary file and a rename where the
    filesystem renames files (a reader never sees half a file), else removed and written
    in one piece (object stores write an object whole; `ram://` appends to an existing
    file rather than truncating it)."""
    temporary = path + ".tmp"
    try:
        with tf.io.gfile.GFile(temporary, "w") as f:
            f.write(text)
        tf.io.gfile.rename(temporary, path, overwrite=True)
        return path
    except tf.errors.OpError:
        if tf.io.gfile.exists(temporary):
            tf.io.gfile.remove(temporary)
    if tf.io.gfile.exists(path):
        tf.io.gfile.remove(path)
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(text)
    return path


def read_text(path: str) -> str:
    with tf.io.gfile.GFile(path) as f:
        return f.read()
