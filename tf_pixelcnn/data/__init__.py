"""Datasets: the offline default (scikit-learn's digits)."""

from tf_pixelcnn.data.digits import load_digits
