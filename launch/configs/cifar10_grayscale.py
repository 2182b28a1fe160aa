"""Grayscale PixelCNN on CIFAR-10. Target: 2.98 bits/dim on the test split (Kolesnikov
& Lampert 2017, §3.1).

From the paper: p(x) = p(x̂) p(x | x̂) with x̂ the 4-bit (16-level) luma, a PixelCNN over
x̂ and a logistic-mixture colour model conditioned on x̂ through an embedding network. Our
assumptions (sizes the paper gives in its appendix may differ; check before a comparison):
15 layers x 128 filters, 5x5, for each factor; 10 logistics; the embedding f_w(x̂) with 32
output maps (`condition_filters`), 32 hidden (`condition_hidden_filters`) and one
convolution per resolution (`condition_layers_per_resolution`); Adam at 1e-3, global batch
64, 300K steps, Polyak 0.9995, dropout 0.5 (as PixelCNN++), 5,000 training images held out
for validation. Not reproduced here (CPU only). Prepare the data once (README,
"Datasets"). Bits/dim is logged in total and per factor (`bits_per_dim/grayscale` per
pixel of x̂, `bits_per_dim/colour` per sub-pixel of x).

The factors train separately with `--config.train.factors=grayscale` and
`--config.train.factors=colour` (two jobs, in parallel), or together (the default).
"""

from configs import base


def get_config():
    config = base.get_config()
    config.data.dataset = "cifar10"
    config.model.name = "grayscale_pixel_cnn"
    config.model.grayscale_levels = 16
    config.model.grayscale_num_layers = 15
    config.model.grayscale_filters = 128
    config.model.num_layers = 15  # the colour model
    config.model.filters = 128
    config.model.kernel_size = 5
    config.model.num_mixture_components = 10
    config.model.condition_filters = 32
    config.model.dropout_rate = 0.5
    config.data.validation_size = 5_000
    base.set_paper_training(config, num_steps=300_000, global_batch_size=64, warmup_steps=1_000)
    config.train.num_samples = 64
    return config
