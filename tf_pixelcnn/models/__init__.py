"""PixelCNN models."""

from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
from tf_pixelcnn.models.code_pixel_cnn import CodePixelCNN
from tf_pixelcnn.models.conv_autoencoder import ConvAutoencoder
from tf_pixelcnn.utils.float32_copy import float32_copy
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.pixel_cnn import PixelCNN
from tf_pixelcnn.models.pixel_cnn_autoencoder import PixelCNNAutoencoder
from tf_pixelcnn.models.grayscale_pixel_cnn import GrayscalePixelCNN
from tf_pixelcnn.models.pyramid_pixel_cnn import PyramidPixelCNN
