"""Lossless compression with PixelCNNs: `compress(model, images) -> bytes`, `decompress`."""

from tf_pixelcnn.compression.header import CompressedDataError
from tf_pixelcnn.compression.lossless import coded_bits, compress, decompress
