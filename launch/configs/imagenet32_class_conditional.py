"""Class-conditional Gated PixelCNN on ImageNet 32x32 (van den Oord et al. 2016, §3.2):
the imagenet32 architecture conditioned on the 1000 labels (one-hot h, eq. 4).
Target: the paper's class-conditional samples; it reports only a small likelihood gain
from conditioning on the labels.
Deviation: the labelled 32x32 ImageNet in tfds is `imagenet_resized/32x32` (box-resized),
not the PixelRNN version the unconditional figures use, so the two are not directly
comparable. Assumptions as imagenet32.
"""

from configs import imagenet32


def get_config():
    config = imagenet32.get_config()
    config.data.dataset = "imagenet_resized/32x32"
    config.model.class_conditional = True
    return config
