"""Writing a benchmark's results: `<name>.json` and a `<name>.md` table."""

import json
import os

import tensorflow as tf


def write_report(output_dir: str, name: str, results, markdown: str) -> None:
    tf.io.gfile.makedirs(output_dir)
    with open(os.path.join(output_dir, f"{name}.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(output_dir, f"{name}.md"), "w") as f:
        f.write(markdown + "\n")
    print(markdown)
