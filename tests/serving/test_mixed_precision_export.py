"""A mixed-precision model is served in float32: the export is its float32 copy."""

import keras
import numpy as np

import tf_pixelcnn as tpc
from tests.serving.test_export_saved_model import serve
from tf_pixelcnn.utils.float32_copy import float32_copy


def test_mixed_bfloat16_model_exports_float32_log_probs_and_samples(tmp_path):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = tpc.GatedPixelCNN((4, 4, 3), num_layers=2, filters=6, kernel_size=3,
                                  num_levels=7, num_classes=2)  # fmt: skip
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert model.compute_dtype == "bfloat16"
    path = tpc.serving.export_saved_model(model, str(tmp_path / "models"))
    images = np.random.default_rng(0).integers(0, 7, (3, 4, 4, 3)).astype(np.uint8)
    labels = np.array([0, 1, 1], np.int32)
    seeds = np.array([[1, 2], [3, 4], [5, 6]], np.int32)
    results = serve(
        path,
        [("log_prob", {"images": images, "labels": labels}),
         ("sample", {"seed": seeds, "labels": labels})],
        tmp_path,
    )  # fmt: skip
    served_log_prob = results["responses"][0]["outputs"]["log_prob"]
    copy = float32_copy(model)
    expected = copy.log_prob(images.astype(np.int32), condition=labels).numpy()
    np.testing.assert_allclose(served_log_prob, expected, rtol=1e-5)  # float32, not bf16
    in_process = tpc.sample(copy, condition=labels, seed=seeds, jit_compile=False).numpy()
    np.testing.assert_array_equal(results["responses"][1]["outputs"]["images"], in_process)
