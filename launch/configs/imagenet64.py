"""The paper's ImageNet 64x64 setup (3.57 bits/dim): as imagenet32 at 64x64."""

from configs import imagenet32


def get_config():
    config = imagenet32.get_config()
    config.data.dataset = "downsampled_imagenet/64x64"
    config.data.image_size = (64, 64)
    return config
