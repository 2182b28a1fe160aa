"""Offline prior over discrete codes: a `CodePixelCNN` over 4×4 grids of K = 512 k-means
codes of the 4×4 patches of the 16×16 photo patches (`photo_patch_codes`: the stand-in
for a VQ-VAE's latent grid, van den Oord et al. 2017, §3.2); unconditional. The codes
are fitted once (seconds) into ~/.cache/tf_pixelcnn/code_grids (or data.data_dir).
About two minutes on 2 CPU cores, then test bits per code, samples (samples.png shows
the codes as gray levels code / (K − 1), not decoded patches) and a SavedModel."""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "photo_patch_codes"
    config.data.num_levels = 512  # K
    config.data.patch_size = 4  # 16×16 patches → 4×4 grids
    config.model.name = "code_pixel_cnn"
    config.model.embedding_dim = 32
    config.model.num_layers = 5
    config.model.filters = 64
    config.model.kernel_size = 3
    config.model.output_filters = 128  # the width the 512 logits are predicted from
    config.model.dropout_rate = 0.2  # 600 steps: test 5.07 bits per code (5.25 without)
    config.train.num_steps = 600
    config.train.global_batch_size = 64
    config.train.learning_rate = 2e-3
    config.train.final_learning_rate_fraction = 0.05
    config.train.polyak_decay = 0.99
    config.train.log_every = 100
    config.train.checkpoint_every = 200
    config.train.eval_every = 300
    config.train.sample_every = 0
    config.train.num_samples = 64
    config.eval.global_batch_size = 128
    config.export.enabled = True
    return config
