"""`workdir/config.json`: the resolved config of the run in a workdir.

    workdir/
      config.json     the config of the run (evaluate.py and the benchmarks read it)
      config.<n>.json an earlier run's config that differed (a changed num_steps, say)

The trainer writes it once the workdir's checkpoint has matched the config: a run refused
because the workdir holds another model leaves the workdir's own config in place.
"""

import json
import os
from typing import Any, Callable, Dict, Mapping, Optional

import tensorflow as tf

from tf_pixelcnn.utils.text_file import read_text, write_text

CONFIG_FILE = "config.json"

__all__ = ["CONFIG_FILE", "read_run_config", "write_run_config"]


def write_run_config(
    config: Mapping[str, Any], workdir: str, say: Callable[[str], None] = print
) -> str:
    """Writes `workdir/config.json`; an earlier, different one is kept as config.<n>.json
    (the lowest free n). Any filesystem TensorFlow supports."""
    tf.io.gfile.makedirs(workdir)
    path = os.path.join(workdir, CONFIG_FILE)
    text = json.dumps(config, indent=2, default=list)
    if tf.io.gfile.exists(path):
        if read_text(path) == text:
            return path
        number = 1
        while tf.io.gfile.exists(os.path.join(workdir, f"config.{number}.json")):
            number += 1
        tf.io.gfile.copy(path, os.path.join(workdir, f"config.{number}.json"))
        say(f"The config differs from the previous run's, kept as config.{number}.json")
    return write_text(path, text)


def read_run_config(workdir: str) -> Optional[Dict[str, Any]]:
    """`workdir/config.json`, or None when the workdir has none."""
    path = os.path.join(workdir, CONFIG_FILE)
    if not tf.io.gfile.exists(path):
        return None
    return json.loads(read_text(path))
