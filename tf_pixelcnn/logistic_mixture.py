"""Moved to `tf_pixelcnn.distributions.logistic_mixture` (temporary alias)."""

from tf_pixelcnn.distributions.logistic_mixture import *  # noqa: F401,F403
from tf_pixelcnn.distributions.logistic_mixture import _coupled_means  # noqa: F401
