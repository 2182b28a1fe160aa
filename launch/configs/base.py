"""Every field a config has, with defaults; the other configs import it and override a few.

Override any field on the command line: `--config.train.num_steps=100`.
"""

import ml_collections
from ml_collections import config_dict


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.seed = 0
    # "default" (one device), "mirrored" (local GPUs) or "multi_worker" (TF_CONFIG).
    config.strategy = "default"
    # With "mirrored" on a CPU-only machine: split the CPU into this many replicas.
    config.num_cpu_devices = 0
    # Deterministic ops: a resumed or a distributed run reproduces an uninterrupted one.
    config.deterministic = True

    config.data = ml_collections.ConfigDict()
    config.data.dataset = "digits"  # see tf_pixelcnn.data.DATASETS
    config.data.data_dir = config_dict.placeholder(str)  # tfds dir or image folder root
    config.data.image_size = config_dict.placeholder(tuple)  # (H, W); default: the data's
    config.data.num_levels = 256
    config.data.grayscale = False
    config.data.crop = config_dict.placeholder(tuple)  # (top, left, height, width)
    config.data.resize_images = False
    config.data.shuffle_buffer = 50_000
    # Records held out of the train split for validation (eval_every evaluates them and
    # checkpoints/best keeps the lowest validation bits/dim; model.keras and the export
    # are that checkpoint's). 0: none (eval_every evaluates the test split).
    config.data.validation_size = 0
    # Each training sub-pixel replaced by a uniform level with this probability (the
    # background model of a likelihood ratio, Ren et al. 2019); evaluation is clean.
    config.data.perturbation_rate = 0.0
    # Code-grid datasets ("photo_patch_codes", "digit_codes"; num_levels is K there): p of
    # the k-means-coded p×p patches (default 4), and K' of a coarser code map (the codes of
    # 2p×2p patches) a code_pixel_cnn is conditioned on (None: none).
    config.data.patch_size = config_dict.placeholder(int)
    config.data.condition_num_codes = config_dict.placeholder(int)

    config.model = ml_collections.ConfigDict()
    # gated_pixel_cnn | pixel_cnn | pixel_cnn_autoencoder | grayscale_pixel_cnn |
    # pyramid_pixel_cnn (the last two: see configs/cifar10_grayscale.py, celeba_pyramid.py) |
    # code_pixel_cnn (a prior over code grids: configs/codes_*.py)
    config.model.name = "gated_pixel_cnn"
    config.model.class_conditional = False
    config.model.num_layers = 15
    config.model.filters = 128
    config.model.kernel_size = 5
    # Odd n of the first (mask "A") layer; default: kernel_size (gated), 7 (pixel_cnn).
    config.model.first_kernel_size = config_dict.placeholder(int)
    # Width of the output head's hidden 1x1 layer: an int, "filters" (as wide as the
    # stacks: the width before the default widened; --config.model.output_filters=filters)
    # or None, max(filters, min(256, outputs per pixel)). A workdir trained before that
    # default resumes with its own width.
    config.model.output_filters = config_dict.FieldReference(None, field_type=object)
    # gated_pixel_cnn: a mixture of this many discretized logistics instead of a softmax.
    config.model.num_mixture_components = config_dict.placeholder(int)
    # pyramid_pixel_cnn: "raster" (each level one image in raster order, the default) or
    # "independent" (a level's three new quarters in parallel; faster sampling).
    config.model.quarters = config_dict.placeholder(str)
    # Dropout on the horizontal stack's update in every gated block (training only).
    config.model.dropout_rate = 0.0

    config.train = ml_collections.ConfigDict()
    config.train.num_steps = 100_000
    config.train.global_batch_size = 64  # over all replicas and workers
    config.train.learning_rate = 1e-3
    config.train.learning_rate_schedule = "cosine"  # or "constant"
    config.train.warmup_steps = 0
    config.train.final_learning_rate_fraction = 0.0
    # Grayscale / Pyramid PixelCNN: train only these factors, comma-separated ("colour";
    # "16x16,32x32"); the others keep their weights. Default: all, jointly.
    config.train.factors = config_dict.placeholder(str)
    config.train.gradient_clip_norm = config_dict.placeholder(float)
    # Stop (as on NaN, before checkpointing) when a step's bits/dim exceeds this many times
    # log2(num_levels) (uniform), or a window's this many times the best window. 0: off.
    config.train.divergence_factor = 3.0
    config.train.polyak_decay = config_dict.placeholder(float)  # e.g. 0.9995; eval uses it
    config.train.jit_compile = False
    config.train.mixed_precision = config_dict.placeholder(str)  # "mixed_float16" on GPUs
    config.train.log_every = 100
    config.train.checkpoint_every = 1000
    config.train.max_checkpoints = 3
    config.train.eval_every = 10_000
    config.train.sample_every = 10_000
    config.train.num_samples = 64

    config.eval = ml_collections.ConfigDict()
    config.eval.global_batch_size = 256

    # Outlier scores: also train a background model on perturbed inputs (workdir/
    # background/) and export score = log p(x) - log p_background(x) (workdir/score_export/).
    config.likelihood_ratio = ml_collections.ConfigDict()
    config.likelihood_ratio.enabled = False
    config.likelihood_ratio.perturbation_rate = 0.2

    config.export = ml_collections.ConfigDict()
    config.export.enabled = False
    config.export.max_batch = 64
    return config


def set_paper_training(
    config: ml_collections.ConfigDict, num_steps: int, global_batch_size: int, warmup_steps: int
) -> ml_collections.ConfigDict:
    """The training block the paper-scale configs share: Adam at 1e-3 with warm-up and
    cosine decay, Polyak averaging 0.9995, checkpoints every 2,000 steps, evaluation
    every 10,000 and samples every 20,000 steps."""
    config.train.num_steps = num_steps
    config.train.global_batch_size = global_batch_size
    config.train.learning_rate = 1e-3
    config.train.warmup_steps = warmup_steps
    config.train.polyak_decay = 0.9995
    config.train.checkpoint_every = 2000
    config.train.eval_every = 10_000
    config.train.sample_every = 20_000
    return config
