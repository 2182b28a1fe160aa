"""The paper's ImageNet 32x32 setup. Target: 3.83 bits/dim on the validation split used
as test (van den Oord et al. 2016, Table 2).

From the paper (§3.1): 20 layers, 384 feature maps, 5x5 filters; 200K synchronous
updates at a global batch of 128 (32 GPUs x 4 images); the PixelRNN papers'
downsampled ImageNet (`downsampled_imagenet/32x32`).
Our assumptions (not in the paper): Adam at 1e-3 with 2,000 warm-up steps and cosine
decay, Polyak averaging 0.9995, no dropout (1.28M images), 10,000 training images held
out for validation and model selection (--config.data.validation_size=0: none).

Run it on a cluster with --config.strategy=multi_worker and TF_CONFIG (README).
Output head: two ReLU + masked 1x1 layers of 1024 feature maps, our reading of the
PixelRNN paper's output layers for CIFAR-10 and ImageNet (van den Oord et al. 2016,
"Pixel Recurrent Neural Networks", §5 and its architecture table), which the Gated
PixelCNN paper keeps; the stacks' width (384) is not the head's.
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "downsampled_imagenet/32x32"
    config.data.image_size = (32, 32)
    config.model.num_layers = 20
    config.model.filters = 384
    config.model.kernel_size = 5
    config.model.output_filters = 1024  # the PixelRNN paper's output layers (docstring)
    config.data.validation_size = 10_000
    base.set_paper_training(config, num_steps=200_000, global_batch_size=128, warmup_steps=2_000)
    config.train.eval_every = 20_000
    return config
