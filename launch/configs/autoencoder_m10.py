"""PixelCNN auto-encoder with an m = 10 bottleneck (van den Oord et al. 2016, sec. 3.4):
a convolutional encoder, a Gated PixelCNN decoder conditioned on the code through m(h).
ImageNet 32x32 as in the paper."""

from configs import imagenet32


def get_config():
    config = imagenet32.get_config()
    config.model.name = "pixel_cnn_autoencoder"
    config.model.bottleneck_dim = 10
    config.model.encoder_filters = 64
    config.train.num_samples = 8  # test images and their reconstructions
    return config
