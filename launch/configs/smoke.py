"""Tiny: a 2-layer Gated PixelCNN on the offline digits for 20 steps (tests; seconds)."""

from configs import base


def get_config():
    config = base.get_config()
    config.data.num_levels = 17
    config.model.class_conditional = True
    config.model.num_layers = 2
    config.model.filters = 8
    config.model.kernel_size = 3
    config.train.num_steps = 20
    config.train.global_batch_size = 16
    config.train.learning_rate = 3e-3
    config.train.log_every = 5
    config.train.checkpoint_every = 10
    config.train.eval_every = 0
    config.train.sample_every = 0
    config.train.num_samples = 10
    config.eval.global_batch_size = 128
    return config
