"""Runs the absl binaries of launch/ and export/ inside the test process.

For workdirs on `ram://`, TensorFlow's in-memory filesystem: it lives as long as the
process, so train → resume → evaluate → export must share one. Each call loads the
binary afresh, parses its flags, runs `main`, then removes the flags it defined (the
binaries define flags of the same names).
"""

import importlib.util
import pathlib

from absl import flags

import console  # noqa: F401  (launch/console.py: defines --verbose once, before any binary)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_binary(path: str, *args: str) -> None:
    """Runs `ROOT/path` (e.g. "launch/train.py") with command-line `args`."""
    before = set(flags.FLAGS)
    name = "binary_" + path.replace("/", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        argv = flags.FLAGS([path, *args])
        module.main(argv)
    finally:
        for flag in set(flags.FLAGS) - before:
            delattr(flags.FLAGS, flag)
