"""Offline class-conditional prior over discrete codes: a `CodePixelCNN` over 4×4 grids of
K = 256 k-means codes of the 2×2 patches of the 8×8 digits (`digit_codes`), conditioned on
the digit (one-hot h, van den Oord et al. 2016, eq. 4). About a minute on 2 CPU cores;
test bits per code, a sample grid of one row per digit (codes as gray levels, not
decoded) and a SavedModel."""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "digit_codes"
    config.data.num_levels = 256  # K
    config.data.patch_size = 2  # 8×8 digits → 4×4 grids
    config.model.name = "code_pixel_cnn"
    config.model.class_conditional = True
    config.model.embedding_dim = 32
    config.model.num_layers = 5
    config.model.filters = 64
    config.model.kernel_size = 3
    config.train.num_steps = 400
    config.train.global_batch_size = 64
    config.train.learning_rate = 2e-3
    config.train.final_learning_rate_fraction = 0.05
    config.train.polyak_decay = 0.99
    config.train.log_every = 100
    config.train.checkpoint_every = 200
    config.train.eval_every = 200
    config.train.sample_every = 0
    config.train.num_samples = 100  # 10 per digit
    config.export.enabled = True
    return config
