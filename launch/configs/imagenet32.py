"""The paper's ImageNet 32x32 setup (van den Oord et al. 2016, sec. 3.1; 3.83 bits/dim):
20 layers, 384 feature maps, 5x5 filters, 200K synchronous updates at a global batch of
128 (the paper: 32 GPUs x 4 images). Data: the PixelRNN papers' downsampled ImageNet.

Run it on a cluster with --config.strategy=multi_worker and TF_CONFIG (README).
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "downsampled_imagenet/32x32"
    config.data.image_size = (32, 32)
    config.model.num_layers = 20
    config.model.filters = 384
    config.model.kernel_size = 5
    config.train.num_steps = 200_000
    config.train.global_batch_size = 128
    config.train.learning_rate = 1e-3
    config.train.warmup_steps = 2000
    config.train.polyak_decay = 0.9995
    config.train.checkpoint_every = 2000
    config.train.eval_every = 20_000
    config.train.sample_every = 20_000
    return config
