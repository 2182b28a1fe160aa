"""Offline quick start: trains a Gated PixelCNN on the 8×8 digits, reports bits/dim, samples.

python launch/demo.py --workdir=/tmp/tf_pixelcnn_demo
"""

from absl import app
from absl import flags

from tf_pixelcnn.training import demo

_WORKDIR = flags.DEFINE_string("workdir", "/tmp/tf_pixelcnn_demo", "Where outputs go.")
_NUM_STEPS = flags.DEFINE_integer("num_steps", 800, "Training steps.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 64, "Images per step.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of initialisation, batches and samples.")


def main(argv):
    del argv
    demo.run_demo(
        _WORKDIR.value, num_steps=_NUM_STEPS.value, batch_size=_BATCH_SIZE.value, seed=_SEED.value
    )


if __name__ == "__main__":
    app.run(main)
