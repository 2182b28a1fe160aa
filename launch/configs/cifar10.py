"""Gated PixelCNN on CIFAR-10 (van den Oord et al. 2016, Table 1: 3.03 bits/dim).

The paper states the architecture for ImageNet (20 layers, 384 feature maps, 5x5); we use
it for CIFAR-10 as well. Not reproduced here (CPU only); the figures in the README are
from the offline configs. Prepare the data once: see README, "Datasets".
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "cifar10"
    config.model.num_layers = 20
    config.model.filters = 384
    config.model.kernel_size = 5
    config.train.num_steps = 300_000
    config.train.global_batch_size = 64
    config.train.learning_rate = 1e-3
    config.train.warmup_steps = 1000
    config.train.polyak_decay = 0.9995
    config.train.checkpoint_every = 2000
    config.train.eval_every = 10_000
    config.train.sample_every = 20_000
    config.train.mixed_precision = None
    return config
