"""Grayscale PixelCNN on CIFAR-10 (Kolesnikov & Lampert 2017, §3.1: 2.98 bits/dim): a
16-level PixelCNN over the 4-bit luma x̂ and a logistic-mixture colour model conditioned on
it. Not reproduced here (CPU only). Prepare the data once (README, "Datasets"). Bits/dim
is logged in total and per factor (`bits_per_dim/grayscale` per pixel of x̂,
`bits_per_dim/colour` per sub-pixel of x).

The factors train separately with `--config.train.factors=grayscale` and
`--config.train.factors=colour` (two jobs, in parallel), or together (the default).
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "cifar10"
    config.model.name = "grayscale_pixel_cnn"
    config.model.grayscale_levels = 16
    config.model.grayscale_num_layers = 15
    config.model.grayscale_filters = 128
    config.model.num_layers = 15  # the colour model
    config.model.filters = 128
    config.model.kernel_size = 5
    config.model.num_mixture_components = 10
    config.model.condition_filters = 32
    config.train.num_steps = 300_000
    config.train.global_batch_size = 64
    config.train.learning_rate = 1e-3
    config.train.warmup_steps = 1000
    config.train.polyak_decay = 0.9995
    config.train.checkpoint_every = 2000
    config.train.eval_every = 10_000
    config.train.sample_every = 20_000
    config.train.num_samples = 64
    return config
