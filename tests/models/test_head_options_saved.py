"""`output_filters` and `first_kernel_size` survive every way a model is saved: the
workdir's `model.json` + checkpoint, the SavedModel export, and compressed data (whose
config digest tells the head widths apart)."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.compression import CompressedDataError
from tf_pixelcnn.training import workdir_model


def _model(output_filters=20, first_kernel_size=5):
    return tpc.GatedPixelCNN(
        (4, 4, 3), num_layers=2, filters=6, kernel_size=3, num_levels=8,
        first_kernel_size=first_kernel_size, output_filters=output_filters,
    )  # fmt: skip


def _images():
    return np.random.default_rng(0).integers(0, 8, (3, 4, 4, 3)).astype(np.int32)


def test_workdir_checkpoint_restores_the_wide_head(tmp_path):
    model = _model()
    workdir_model.write_model_config(model, str(tmp_path))
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "checkpoints" / "ckpt"))
    restored = workdir_model.restore_model(str(tmp_path / "model.json"), path)
    assert restored.output_head.hidden_filters == 20 and restored.blocks[0].kernel_size == 5
    np.testing.assert_array_equal(restored.log_prob(_images()), model.log_prob(_images()))


def test_export_serves_the_wide_head(tmp_path):
    model = _model()
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"), max_batch=8)
    served = tf.saved_model.load(path).signatures["log_prob"]
    log_prob = served(images=tf.constant(_images(), tf.uint8))["log_prob"]
    np.testing.assert_allclose(log_prob, model.log_prob(_images()), rtol=1e-5)


def test_compressed_data_names_a_model_of_another_head_width():
    model = _model()
    data = tpc.compression.compress(model, _images())
    np.testing.assert_array_equal(tpc.compression.decompress(model, data), _images())
    narrower = _model(output_filters=12)
    with pytest.raises(CompressedDataError, match="another configuration"):
        tpc.compression.decompress(narrower, data)
