"""Training: the train step, evaluation and the offline demo."""

from tf_pixelcnn.training.evaluate import evaluate_bits_per_dim
from tf_pixelcnn.training.train_step import make_train_step
