"""Gated PixelCNN on CIFAR-10. Target: 3.03 bits/dim on the test split (van den Oord et
al. 2016, Table 1; PixelCNN 3.14, PixelRNN 3.00).

From the paper: the Gated PixelCNN (gated blocks, two stacks, softmax over 256 values).
The paper states its layer count, width and filter size for ImageNet (§3.1: 20 layers,
384 feature maps, 5x5), not for CIFAR-10; we use them here too.
Our assumptions (the paper gives none for CIFAR-10): Adam at 1e-3 with 1,000 warm-up
steps and cosine decay, global batch 64 for 300K steps, Polyak averaging 0.9995 and
dropout 0.5 on the horizontal stack's update (both as PixelCNN++, Salimans et al. 2017,
use on CIFAR-10), and 5,000 training images held out for validation (the best
validation checkpoint is evaluated on the test split and exported; set
--config.data.validation_size=0 to train on all 50,000 as the paper).
Not reproduced here (CPU only); the README's figures are the offline configs'. Prepare
the data once: see README, "Datasets".
Output head: two ReLU + masked 1x1 layers of 1024 feature maps, our reading of the
PixelRNN paper's output layers for CIFAR-10 and ImageNet (van den Oord et al. 2016,
"Pixel Recurrent Neural Networks", §5 and its architecture table), which the Gated
PixelCNN paper keeps; the stacks' width (384) is not the head's.
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "cifar10"
    config.model.num_layers = 20
    config.model.filters = 384
    config.model.kernel_size = 5
    config.model.output_filters = 1024  # the PixelRNN paper's output layers (docstring)
    config.model.dropout_rate = 0.5
    config.data.validation_size = 5_000
    base.set_paper_training(config, num_steps=300_000, global_batch_size=64, warmup_steps=1_000)
    config.train.mixed_precision = None
    return config
