"""export/client.py --protocol=grpc against a real gRPC PredictionService.

The server (tests/export/grpc_prediction_server.py) implements TF Serving's generated
`PredictionServiceServicer` and answers from the SavedModel loaded in-process; requests and
answers are the real `tensorflow_serving.apis` protos over a channel on 127.0.0.1.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.export.client_module import CLIENT_PATH, load_client

pytest.importorskip(
    "tensorflow_serving.apis.prediction_service_pb2_grpc",
    reason="tensorflow-serving-api is not installed (pip install -e '.[serving]')",
)
from tests.export.grpc_prediction_server import PredictionServer

client = load_client()
SEEDS = [[7, 0], [7, 1]]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A class-conditional 4x4x1 model served as `digits` versions 1 (label `stable`) and 2
    (label `canary`, the same export loaded twice), and the server's address."""
    model = tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4, num_classes=2
    )
    base = tmp_path_factory.mktemp("grpc") / "digits"
    path = tpc.serving.export_saved_model(model, str(base), max_batch=4)
    labels = {"digits": {"stable": 1, "canary": 2}}
    with PredictionServer({"digits": {1: path, 2: path}}, labels) as server:
        yield model, server.address


def test_predict_request_carries_the_model_spec_and_tensors():
    images = np.arange(32, dtype=np.uint8).reshape(2, 4, 4, 1) % 4
    inputs = client.build_inputs("log_prob", 2, seed=0, labels=[1, 0], images=images)
    request = client.predict_request(inputs, "digits", "log_prob", version=3)
    assert request.model_spec.name == "digits"
    assert request.model_spec.signature_name == "log_prob"
    assert request.model_spec.version.value == 3
    assert set(request.inputs) == {"images", "labels"}
    assert request.inputs["images"].dtype == tf.uint8.as_datatype_enum
    assert request.inputs["labels"].dtype == tf.int32.as_datatype_enum
    np.testing.assert_array_equal(tf.make_ndarray(request.inputs["images"]), images)
    np.testing.assert_array_equal(tf.make_ndarray(request.inputs["labels"]), [1, 0])
    unversioned = client.predict_request(inputs, "digits", "log_prob")
    assert not unversioned.model_spec.HasField("version")
    assert not unversioned.model_spec.HasField("version_label")
    labelled = client.predict_request(inputs, "digits", "log_prob", label="canary")
    assert labelled.model_spec.version_label == "canary"
    assert not labelled.model_spec.HasField("version")
    with pytest.raises(ValueError, match="not both. Received: version=3, label=canary"):
        client.predict_request(inputs, "digits", "log_prob", version=3, label="canary")


def test_log_prob_round_trip(served):
    model, address = served
    images = np.random.default_rng(0).integers(0, 4, (2, 4, 4, 1)).astype(np.uint8)
    inputs = client.build_inputs("log_prob", 2, seed=0, labels=[1, 0], images=images)
    answer = client.predict_grpc(address, "digits", inputs, "log_prob", version=1, timeout=60)
    assert answer["model_spec"] == {"name": "digits", "version": 1, "signature_name": "log_prob"}
    expected = model.log_prob(images.astype(np.int32), condition=[1, 0]).numpy()
    np.testing.assert_allclose(answer["outputs"]["log_prob"], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        answer["outputs"]["bits_per_dim"],
        tpc.bits_per_dim(expected, (4, 4, 1)),
        rtol=1e-5,
    )


def test_versions_and_labels_route_the_request(served):
    _, address = served
    images = np.zeros((1, 4, 4, 1), np.uint8)
    inputs = client.build_inputs("log_prob", 1, 0, labels=[0], images=images)
    for kwargs, version in [({}, 2), ({"version": 1}, 1), ({"label": "stable"}, 1),
                            ({"label": "canary"}, 2)]:  # fmt: skip
        answer = client.predict_grpc(address, "digits", inputs, "log_prob", timeout=60, **kwargs)
        assert answer["model_spec"]["version"] == version, kwargs


def test_sample_and_complete_round_trip(served):
    model, address = served
    inputs = client.build_inputs("sample", 2, seed=7, labels=[0, 1])
    answer = client.predict_grpc(address, "digits", inputs, "sample", timeout=60)
    assert answer["model_spec"]["version"] == 2  # the newest, none asked for
    assert answer["outputs"]["images"].dtype == np.uint8
    np.testing.assert_array_equal(
        answer["outputs"]["images"], tpc.sample(model, condition=[0, 1], seed=SEEDS, method="naive")
    )
    images = np.random.default_rng(1).integers(0, 4, (2, 4, 4, 1)).astype(np.uint8)
    inputs = client.build_inputs("complete", 2, 7, labels=[1, 0], images=images, known_rows=2)
    completed = client.predict_grpc(address, "digits", inputs, "complete", timeout=60)
    expected = tpc.complete(model, images.astype(np.int32), 2, seed=SEEDS, condition=[1, 0])
    np.testing.assert_array_equal(completed["outputs"]["images"], expected)
    np.testing.assert_array_equal(completed["outputs"]["images"][:, :2], images[:, :2])


def test_bad_requests_return_the_servers_status_and_message(served):
    _, address = served
    inputs = client.build_inputs("sample", 2, seed=7, labels=[0, 5])  # 2 classes
    with pytest.raises(
        client.ServerError,
        match=r"(?s)INVALID_ARGUMENT from 127\.0\.0\.1:\d+: .*labels",
    ):
        client.predict_grpc(address, "digits", inputs, "sample", timeout=60)
    too_many = client.build_inputs("sample", 5, seed=7, labels=[0] * 5)  # max_batch=4
    with pytest.raises(client.ServerError, match=r"(?s)INVALID_ARGUMENT.*max_batch=4"):
        client.predict_grpc(address, "digits", too_many, "sample", timeout=60)
    with pytest.raises(client.ServerError, match="NOT_FOUND.*version=3"):
        client.predict_grpc(address, "digits", inputs, "sample", version=3, timeout=60)
    with pytest.raises(client.ServerError, match="INVALID_ARGUMENT.*label: 'beta'"):
        client.predict_grpc(address, "digits", inputs, "sample", label="beta", timeout=60)
    with pytest.raises(client.ServerError, match="INVALID_ARGUMENT.*'encode' not found"):
        client.predict_grpc(address, "digits", inputs, "encode", timeout=60)
    wrong_dtype = {"seed": np.zeros((2, 2), np.int64), "labels": np.zeros(2, np.int32)}
    with pytest.raises(
        client.ServerError, match="'seed' of 'sample' expects int32. Received: int64"
    ):
        client.predict_grpc(address, "digits", wrong_dtype, "sample", timeout=60)
    with pytest.raises(
        client.ServerError, match=r"takes inputs \['labels', 'seed'\]. Received: \['seed'\]"
    ):
        client.predict_grpc(address, "digits", {"seed": inputs["seed"]}, "sample", timeout=60)
    with pytest.raises(ValueError, match="host:port, no scheme. Received: server=http://x:1"):
        client.predict_grpc("http://x:1", "digits", inputs, "sample")


def test_grpc_answers_become_pngs(served, tmp_path):
    model, address = served
    inputs = client.build_inputs("sample", 2, seed=7, labels=[0, 1])
    response = client.call_server("grpc", address, "digits", "sample", inputs, timeout=60)
    paths = client.write_outputs(response, "sample", str(tmp_path))
    assert paths == [str(tmp_path / "sample_0.png"), str(tmp_path / "sample_1.png")]
    expected = tpc.sample(model, condition=[0, 1], seed=SEEDS, method="naive").numpy()
    for path, image in zip(paths, expected):
        np.testing.assert_array_equal(tf.io.decode_png(tf.io.read_file(path)).numpy(), image)
    saved = json.loads((tmp_path / "sample_response.json").read_text())
    assert saved["model_spec"] == {"name": "digits", "version": 2, "signature_name": "sample"}


def test_command_line_exits_1_with_the_servers_message(served, tmp_path):
    _, address = served
    command = [sys.executable, str(CLIENT_PATH), "--protocol=grpc", f"--server={address}"]
    result = subprocess.run(
        [*command, "--model_name=digits", "--signature=sample", "--labels=0,5",
         f"--output_dir={tmp_path / 'out'}"],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    assert "error: INVALID_ARGUMENT from 127.0.0.1:" in result.stderr, result.stderr[-3000:]
    assert "labels" in result.stderr.split("INVALID_ARGUMENT")[1]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert not (tmp_path / "out").exists()
