"""export/client.py with a `CodePixelCNN` export: `--codes_npy` / `--condition_codes_npy`
bodies carry the signatures' `codes` and `condition_codes`, and answered code grids are
written as `<signature>_codes.npy`, from every answer layout TF Serving gives."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.export.client_module import load_client
from tests.export.test_client import columns

client = load_client()
GRID, MAP = (3, 4), (2, 2)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = tpc.CodePixelCNN(
        grid_shape=GRID, num_codes=100, condition_grid_shape=MAP, condition_num_codes=7,
        embedding_dim=4, num_layers=1, filters=4, kernel_size=3,
    )  # fmt: skip
    path = tpc.serving.export_saved_model(model, str(tmp_path_factory.mktemp("prior")))
    return model, tf.saved_model.load(path)


@pytest.mark.parametrize("fmt", ["instances", "inputs"])
def test_code_bodies_match_the_signatures_and_give_the_models_answers(exported, fmt):
    model, loaded = exported
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 100, (2, *GRID))
    top = rng.integers(0, 7, (2, *MAP))
    condition = top[..., None].astype(np.int32)
    for signature, inputs in [
        ("sample", client.build_inputs("sample", 2, seed=7, condition_codes=top)),
        ("log_prob", client.build_inputs("log_prob", 2, 7, codes=codes, condition_codes=top)),
        ("complete", client.build_inputs(
            "complete", 2, 7, codes=codes, condition_codes=top, known_rows=1)),
    ]:  # fmt: skip
        arrays = columns(client.request_body(inputs, signature, fmt))
        specs = loaded.signatures[signature].structured_input_signature[1]
        assert set(arrays) == set(specs), signature
        for name, spec in specs.items():
            assert spec.shape.is_compatible_with(arrays[name].shape), (name, spec)
        outputs = loaded.signatures[signature](
            **{k: tf.constant(v, specs[k].dtype) for k, v in arrays.items()}
        )
        if signature == "log_prob":
            expected = model.log_prob(codes[..., None].astype(np.int32), condition=condition)
            np.testing.assert_allclose(outputs["log_prob"], expected, rtol=1e-5, atol=1e-4)
        elif signature == "sample":
            expected = tpc.sample(model, condition=condition, seed=[[7, 0], [7, 1]],
                                  jit_compile=False)  # fmt: skip
            np.testing.assert_array_equal(outputs["codes"], expected.numpy()[..., 0])
        else:
            np.testing.assert_array_equal(outputs["codes"][:, :1], codes[:, :1])
    with pytest.raises(ValueError, match="needs --images_npy \\(or --codes_npy\\)"):
        client.build_inputs("log_prob", 2, 7)


def test_answered_codes_are_written_as_npy_and_images_as_pngs(tmp_path):
    codes = np.arange(24).reshape(2, *GRID)
    for answer in (
        {"predictions": codes.tolist()},  # instances, the one output unnamed
        {"outputs": codes.tolist()},  # columnar, unnamed
        {"outputs": {"codes": codes.tolist()}},  # gRPC
        {"predictions": [{"codes": row.tolist()} for row in codes]},
    ):
        (path,) = client.write_outputs(answer, "sample", str(tmp_path))
        assert path.endswith("sample_codes.npy")
        written = np.load(path)
        assert written.dtype == np.int32
        np.testing.assert_array_equal(written, codes)
    images = np.zeros((2, *GRID, 1), np.uint8)
    paths = client.write_outputs({"predictions": images.tolist()}, "sample", str(tmp_path))
    assert [p.rsplit("/", 1)[1] for p in paths] == ["sample_0.png", "sample_1.png"]
