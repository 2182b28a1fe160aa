"""Offline Pyramid PixelCNN: the 8x8 digits as 2x2 → 4x4 → 8x8 (Kolesnikov & Lampert 2017,
§3.2, at toy size); about a minute on 2 CPU cores, then samples, per-resolution bits/dim
and a SavedModel with `sample_given` (8x8 given 4x4)."""

from configs import base


def get_config():
    config = base.get_config()
    config.data.num_levels = 17  # the digits' own values 0..16
    config.model.name = "pyramid_pixel_cnn"
    config.model.num_resolutions = 3
    config.model.base_num_layers = 4  # the unconditional 2x2 model
    config.model.base_filters = 32
    config.model.num_layers = 4  # each conditional level
    config.model.filters = 32
    config.model.kernel_size = 3
    config.model.num_mixture_components = 5
    config.model.condition_filters = 16
    config.train.num_steps = 500
    config.train.global_batch_size = 64
    config.train.learning_rate = 2e-3
    config.train.final_learning_rate_fraction = 0.05
    config.train.polyak_decay = 0.99
    config.train.log_every = 100
    config.train.checkpoint_every = 100
    config.train.eval_every = 250
    config.train.sample_every = 0
    config.train.num_samples = 64
    config.export.enabled = True
    return config
