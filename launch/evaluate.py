"""Test-split bits/dim of a checkpoint (the newest in DIR/checkpoints/ by default).

python launch/evaluate.py --config=launch/configs/demo.py --workdir=/tmp/tf_pixelcnn_demo
"""

import json

from absl import app, flags
from ml_collections import config_flags

from tf_pixelcnn.training.train_and_evaluate import evaluate_checkpoint

_CONFIG = config_flags.DEFINE_config_file("config", None, "The run's launch/configs/*.py.")
_WORKDIR = flags.DEFINE_string("workdir", None, "The training run's directory.")
_CHECKPOINT = flags.DEFINE_string("checkpoint", None, "A checkpoint prefix; default: newest.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    result = evaluate_checkpoint(_CONFIG.value.to_dict(), _WORKDIR.value, _CHECKPOINT.value)
    print(
        f"{result['checkpoint']} (step {result['step']}): "
        f"test bits/dim {result['test_bits_per_dim']:.4f}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    app.run(main)
