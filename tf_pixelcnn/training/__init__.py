"""Training: the custom loop for every strategy, its steps, evaluation and checkpoints."""

from tf_pixelcnn.training.evaluate import evaluate_bits_per_dim
from tf_pixelcnn.training.train_and_evaluate import (
    NonFiniteLossError,
    evaluate_checkpoint,
    evaluate_model,
    train_and_evaluate,
)
from tf_pixelcnn.training.train_step import make_train_step
from tf_pixelcnn.training.weight_average import WeightAverage
