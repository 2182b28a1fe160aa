"""The offline quick start (README command 1): a class-conditional Gated PixelCNN on the
8x8 digits that ship with scikit-learn; ~1.5 minutes on 2 CPU cores, then a SavedModel."""

from configs import base


def get_config():
    config = base.get_config()
    config.data.num_levels = 17  # the digits' own values 0..16
    config.model.class_conditional = True
    config.model.num_layers = 8
    config.model.filters = 64
    config.model.kernel_size = 3
    # 500 steps: on the 1,438 training digits, test bits/dim rises again after ~500.
    config.train.num_steps = 500
    config.train.global_batch_size = 64
    config.train.learning_rate = 2e-3
    config.train.final_learning_rate_fraction = 0.05
    config.train.log_every = 100
    config.train.polyak_decay = 0.99  # evaluation, model.keras and the export use it
    config.train.checkpoint_every = 100
    config.train.eval_every = 250
    config.train.sample_every = 0
    config.train.num_samples = 100  # 10 per class
    config.export.enabled = True
    return config
