"""Samplers: naive (reference)."""

from tf_pixelcnn.sampling.sample import sample
