"""PixelCNN auto-encoder with an m = 100 bottleneck (van den Oord et al. 2016, §3.4):
autoencoder_m10 with a 100-dimensional code.
"""

from configs import autoencoder_m10


def get_config():
    config = autoencoder_m10.get_config()
    config.model.bottleneck_dim = 100
    return config
