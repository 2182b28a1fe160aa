"""PixelCNN auto-encoder with an m = 10 bottleneck (van den Oord et al. 2016, §2.4 and
§3.4): a convolutional encoder to a 10-dimensional code, a Gated PixelCNN decoder
conditioned on it (location-dependent, through m(h)), trained end to end on ImageNet
32x32 as in the paper. Target: the paper's reconstructions (§3.4); it reports no bits/dim
table for the auto-encoder, so neither do we.
Assumptions: the encoder's width (64 filters) and the imagenet32 training recipe.
"""

from configs import imagenet32


def get_config():
    config = imagenet32.get_config()
    config.model.name = "pixel_cnn_autoencoder"
    config.model.bottleneck_dim = 10
    config.model.encoder_filters = 64
    config.train.num_samples = 8  # test images and their reconstructions
    return config
