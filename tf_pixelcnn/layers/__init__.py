"""Keras layers of the PixelCNN family: masked and shifted convolutions, gated blocks."""

from tf_pixelcnn.layers.condition_projection import ConditionProjection
from tf_pixelcnn.layers.conv_encoder import ConvEncoder
from tf_pixelcnn.layers.gated_block import GatedBlock
from tf_pixelcnn.layers.horizontal_stack_conv2d import HorizontalStackConv2D
from tf_pixelcnn.layers.image_condition_network import ImageConditionNetwork
from tf_pixelcnn.layers.masked_conv2d import MaskedConv2D
from tf_pixelcnn.layers.pixel_output_head import PixelOutputHead
from tf_pixelcnn.layers.spatial_condition_network import SpatialConditionNetwork
from tf_pixelcnn.layers.vertical_stack_conv2d import VerticalStackConv2D
