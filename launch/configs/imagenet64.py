"""The paper's ImageNet 64x64 setup. Target: 3.57 bits/dim (van den Oord et al. 2016,
Table 2). As imagenet32 (the same architecture, steps and batch, and the same
assumptions) on `downsampled_imagenet/64x64`.
"""

from configs import imagenet32


def get_config():
    config = imagenet32.get_config()
    config.data.dataset = "downsampled_imagenet/64x64"
    config.data.image_size = (64, 64)
    return config
