"""Datasets: tfds pipelines, image folders and the offline default (scikit-learn's digits)."""

from tf_pixelcnn.data.dataset_specs import DATASETS, DatasetSpec, get_spec
from tf_pixelcnn.data.digits import load_digits
from tf_pixelcnn.data.pipeline import make_dataset
from tf_pixelcnn.data.record_source import DatasetNotPreparedError
