"""Offline Grayscale PixelCNN: 16x16 colour patches of the two photographs that ship with
scikit-learn (`photo_patches`), x̂ their 4-bit luma (Kolesnikov & Lampert 2017, §3.1, at toy
size); a few minutes on 2 CPU cores, then samples, bits/dim per factor and a SavedModel
with `sample_given` (colour given grayscale)."""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "photo_patches"
    config.model.name = "grayscale_pixel_cnn"
    config.model.grayscale_levels = 16
    config.model.grayscale_num_layers = 5
    config.model.grayscale_filters = 32
    config.model.num_layers = 5  # the colour model
    config.model.filters = 32
    config.model.kernel_size = 3
    config.model.num_mixture_components = 5
    config.model.condition_filters = 16
    config.train.num_steps = 1000
    config.train.global_batch_size = 32
    config.train.learning_rate = 2e-3
    config.train.final_learning_rate_fraction = 0.05
    config.train.polyak_decay = 0.99
    config.train.log_every = 100
    config.train.checkpoint_every = 250
    config.train.eval_every = 500
    config.train.sample_every = 0
    config.train.num_samples = 36
    config.eval.global_batch_size = 128
    config.export.enabled = True
    return config
