"""Moved to `tf_pixelcnn.distributions.random_stream` (temporary alias)."""

from tf_pixelcnn.distributions.random_stream import *  # noqa: F401,F403
