"""A quiet console for the binaries: what a user needs, TensorFlow's banners with --verbose.

TensorFlow 2.21 prints its banners (oneDNN, CUDA stubs, CPU features, `cuInit` errors)
from C++ while it is imported and while it first lists devices, and
`TF_CPP_MIN_LOG_LEVEL` no longer silences all of them; absl and the `tensorflow` logger
then log INFO lines (preemption watcher, checkpoint sharding, signature lists). The
binaries call `quiet_tensorflow_import()` before their first TensorFlow import and
`quiet_logs()` in `main`; `--verbose` keeps everything.

    import console  # before anything that imports TensorFlow
    with console.quiet_tensorflow_import():
        import tensorflow as tf
"""

import contextlib
import logging
import os
import sys

from absl import flags
from absl import logging as absl_logging

VERBOSE = flags.DEFINE_bool(
    "verbose", False, "Show TensorFlow's start-up banners and INFO logs (hidden by default)."
)


def verbose_requested(argv=None) -> bool:
    """--verbose on the command line (read before flags are parsed: imports come first)."""
    argv = sys.argv if argv is None else argv
    return any(arg in ("--verbose", "--verbose=true", "--verbose=True") for arg in argv[1:])


@contextlib.contextmanager
def quiet_tensorflow_import(argv=None):
    """Sends file descriptor 2 to /dev/null while TensorFlow is imported and finds its
    devices, unless --verbose. Python exceptions still reach the console: stderr is
    restored before they propagate."""
    if verbose_requested(argv):
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
        import tensorflow as tf

        tf.config.list_physical_devices()  # the GPU platform starts (cuInit) here
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_logs() -> None:
    """Hides absl's and TensorFlow's INFO/WARNING logs unless --verbose (call in `main`)."""
    if VERBOSE.value:
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
