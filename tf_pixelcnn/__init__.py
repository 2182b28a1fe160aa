"""tf_pixelcnn: PixelCNN image density models for TensorFlow 2 / Keras 3.

import tf_pixelcnn as tpc
model = tpc.GatedPixelCNN(image_shape=(32, 32, 3))
bpd = tpc.bits_per_dim(model.log_prob(images), model.image_shape)
samples = tpc.sample(model, num_samples=16, seed=(1, 2))
"""

from tf_pixelcnn import compression, layers, models, serving
from tf_pixelcnn.distributions.categorical import bits_per_dim
from tf_pixelcnn.models import (
    CodePixelCNN,
    ConvAutoencoder,
    GatedPixelCNN,
    GrayscalePixelCNN,
    PixelCNN,
    PixelCNNAutoencoder,
    PyramidPixelCNN,
)
from tf_pixelcnn.sampling import sample
from tf_pixelcnn.sampling.complete import complete

__version__ = "0.1.0"
