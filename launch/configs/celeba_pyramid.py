"""Pyramid PixelCNN on CelebA faces, 8x8 → 16 → 32 → 64 → 128 (Kolesnikov & Lampert 2017,
§3.2 / §4.3). Target: the paper's 128x128 face samples from 8x8 (its CelebA results are
samples, not a bits/dim we take from it); bits/dim is logged per resolution
(`bits_per_dim/<H>x<W>`).

From the paper: a multi-scale factorisation, each level a light conditional PixelCNN
given the level below, trained level by level or jointly.
Our assumptions and deviations: levels by subsampling x[::2, ::2] (the paper does not say
how it downsamples; subsampling keeps the levels consistent without truncated
sampling); a 15 x 128 unconditional 8x8 base and 5 x 64 conditional levels, 10
logistics, 5x5; Adam at 1e-3, global batch 32, 200K steps, Polyak 0.9995. The images
(218x178) are cropped to a square face box, then resized (area) to 128x128: the paper
crops to a fixed face box whose coordinates our sources do not give, so this config uses
the central 148x148 box (rows 35-182, columns 15-162), which holds the aligned face;
change `--config.data.crop` to use another. Prepare the data once (README, "Datasets").

Each level trains alone with `--config.train.factors=64x64` (e.g. one job per level, in
parallel, as the paper notes), or all together (the default).
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "celeb_a"
    config.data.crop = (35, 15, 148, 148)  # (top, left, height, width)
    config.data.image_size = (128, 128)
    config.data.resize_images = True
    config.model.name = "pyramid_pixel_cnn"
    config.model.num_resolutions = 5
    config.model.base_num_layers = 15  # the unconditional 8x8 model
    config.model.base_filters = 128
    config.model.num_layers = 5  # each conditional level: light, x̂ carries most of it
    config.model.filters = 64
    config.model.kernel_size = 5
    config.model.num_mixture_components = 10
    config.model.condition_filters = 32
    base.set_paper_training(config, num_steps=200_000, global_batch_size=32, warmup_steps=1_000)
    config.train.num_samples = 16
    config.eval.global_batch_size = 64
    return config
