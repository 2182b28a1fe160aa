"""export/client.py builds bodies whose names and shapes are the signatures' inputs, and
shows the server's message when a request fails."""

import contextlib
import http.server
import json
import re
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.export.client_module import CLIENT_PATH, load_client
from tests.serving.test_export_saved_model import serve

client = load_client()


def columns(body):
    """The named arrays a body carries, in either format."""
    if "inputs" in body:
        return {name: np.asarray(value) for name, value in body["inputs"].items()}
    names = body["instances"][0].keys()
    return {name: np.stack([np.asarray(row[name]) for row in body["instances"]]) for name in names}


def checked_request(loaded, signature, inputs, fmt):
    """Builds the body, checks its names and shapes against the signature, and returns the
    request the session runner sends (the arrays the body carries)."""
    body = client.request_body(inputs, signature, fmt)
    assert body["signature_name"] == signature
    arrays = columns(body)
    specs = loaded.signatures[signature].structured_input_signature[1]
    assert set(arrays) == set(specs), (signature, set(arrays), set(specs))
    for name, spec in specs.items():
        assert spec.shape.is_compatible_with(arrays[name].shape), (name, spec, arrays[name].shape)
    return signature, {k: v.astype(specs[k].dtype.as_numpy_dtype) for k, v in arrays.items()}


@pytest.mark.parametrize("fmt", ["instances", "inputs"])
def test_bodies_match_the_exported_signatures(fmt, tmp_path):
    model = tpc.GatedPixelCNN(
        (3, 4, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4, num_classes=2
    )
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"))
    loaded = tf.saved_model.load(path)
    images = np.random.default_rng(0).integers(0, 4, (2, 3, 4, 1)).astype(np.uint8)
    requests = []
    for signature, inputs in [
        ("sample", client.build_inputs("sample", 2, seed=7, labels=[0, 1])),
        ("log_prob", client.build_inputs("log_prob", 2, seed=7, labels=[1, 0], images=images)),
        ("complete", client.build_inputs(
            "complete", 2, seed=7, labels=[1, 0], images=images, known_rows=2)),
    ]:  # fmt: skip
        requests.append(checked_request(loaded, signature, inputs, fmt))
    responses = serve(path, requests, tmp_path)["responses"]
    assert all("outputs" in r for r in responses), responses
    np.testing.assert_array_equal(
        responses[0]["outputs"]["images"],
        tpc.sample(model, condition=[0, 1], seed=[[7, 0], [7, 1]], jit_compile=False),
    )
    completed = np.asarray(responses[2]["outputs"]["images"])
    np.testing.assert_array_equal(completed[:, :2], images[:, :2])
    np.testing.assert_array_equal(
        completed,
        tpc.complete(model, images.astype(np.int32), 2, seed=[[7, 0], [7, 1]], condition=[1, 0]),
    )


def test_score_bodies_match_the_likelihood_ratio_export(tmp_path):
    from tf_pixelcnn.serving.likelihood_ratio_export import export_likelihood_ratio

    def small_model():
        return tpc.GatedPixelCNN((3, 3, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4)

    model, background = small_model(), small_model()
    for m in (model, background):
        m.build()
    path = export_likelihood_ratio(model, background, str(tmp_path / "scores"))
    loaded = tf.saved_model.load(path)
    images = np.random.default_rng(1).integers(0, 4, (2, 3, 3, 1)).astype(np.uint8)
    request = checked_request(loaded, "score", client.build_inputs("score", 2, 0, images=images),
                              "instances")  # fmt: skip
    (response,) = serve(path, [request], tmp_path)["responses"]
    assert "outputs" in response, response
    expected = model.log_prob(images) - background.log_prob(images)
    np.testing.assert_allclose(
        np.asarray(response["outputs"]["score"]).reshape(-1), expected, rtol=1e-5, atol=1e-5
    )


def test_png_encoder_round_trips():
    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype(np.uint8)
    decoded = tf.io.decode_png(client.encode_png(image)).numpy()
    np.testing.assert_array_equal(decoded, image)


def test_missing_inputs_are_named():
    with pytest.raises(ValueError, match="needs --images_npy"):
        client.build_inputs("log_prob", 2, seed=0)
    with pytest.raises(ValueError, match="needs --images_npy"):
        client.build_inputs("score", 2, seed=0)
    images = np.zeros((2, 3, 4, 1), np.uint8)
    with pytest.raises(ValueError, match=r"known_rows in \[0, 3\].*Received: known_rows=None"):
        client.build_inputs("complete", 2, seed=0, images=images)
    with pytest.raises(ValueError, match="Received: known_rows=4"):
        client.build_inputs("complete", 2, seed=0, images=images, known_rows=4)
    with pytest.raises(ValueError, match="one batch size"):
        client.request_body({"seed": np.zeros((2, 2)), "labels": np.zeros(3)}, "sample")


def test_autoencoder_bodies_match_the_exported_signatures(tmp_path):
    ae = tpc.PixelCNNAutoencoder(
        (4, 4, 1),
        bottleneck_dim=3,
        num_layers=1,
        filters=2,
        kernel_size=3,
        num_levels=4,
        encoder_filters=2,
    )
    path = tpc.serving.export_saved_model(ae, str(tmp_path / "export"))
    loaded = tf.saved_model.load(path)
    images = np.random.default_rng(0).integers(0, 4, (2, 4, 4, 1)).astype(np.uint8)
    code = np.zeros((2, 3), np.float32)
    requests = []
    for signature, inputs in [
        ("encode", client.build_inputs("encode", 2, seed=1, images=images)),
        ("decode", client.build_inputs("decode", 2, seed=1, code=code)),
        ("reconstruct", client.build_inputs("reconstruct", 2, seed=1, images=images)),
    ]:
        requests.append(checked_request(loaded, signature, inputs, "instances"))
    responses = serve(path, requests, tmp_path)["responses"]
    assert all("outputs" in r for r in responses), responses


def test_sample_given_bodies_match_the_exported_signature(tmp_path):
    model = tpc.PyramidPixelCNN(
        (4, 4, 1), num_levels=8, num_resolutions=2, base_num_layers=1, base_filters=2,
        num_layers=1, filters=2, kernel_size=3, num_mixture_components=2, condition_filters=2,
    )  # fmt: skip
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"))
    loaded = tf.saved_model.load(path)
    lower = np.random.default_rng(0).integers(0, 8, (2, 2, 2, 1)).astype(np.uint8)
    inputs = client.build_inputs("sample_given", 2, seed=3, auxiliary=lower)
    request = checked_request(loaded, "sample_given", inputs, "inputs")
    (response,) = serve(path, [request], tmp_path)["responses"]
    expected = model.sample_given(lower.astype(np.int32), seed=[[3, 0], [3, 1]])
    np.testing.assert_array_equal(response["outputs"]["images"], expected)
    with pytest.raises(ValueError, match="needs --auxiliary_npy"):
        client.build_inputs("sample_given", 2, seed=0)


class AnsweringHandler(http.server.BaseHTTPRequestHandler):
    """Records each POST (path, JSON body) and answers the server's fixed (status, bytes)."""

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.received.append((self.path, json.loads(self.rfile.read(length))))
        status, payload = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        del args  # quiet


@contextlib.contextmanager
def rest_server(status: int, answer):
    """A local HTTP server on a free port answering every POST with `status` and `answer`
    (a dict sent as JSON, or raw bytes); yields (address, received requests)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AnsweringHandler)
    server.answer = (status, answer if isinstance(answer, bytes) else json.dumps(answer).encode())
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# TF Serving's answer to a bad request: HTTP 400 and {"error": TensorFlow's message}.
MESSAGE = "assertion failed: [labels must be in [0, num_classes=2); received] [0 5]"


@pytest.mark.parametrize(
    "status, answer, expected",
    [
        (400, {"error": MESSAGE}, rf"HTTP 400 from .*:predict: {re.escape(MESSAGE)}"),
        (200, {"error": MESSAGE}, r"answered an error: .*labels must be in"),
        (503, b"<html>upstream unavailable</html>", r"HTTP 503 .*upstream unavailable"),
        (200, b"not json", r"answered something other than JSON: b'not json'"),
    ],
)
def test_rest_failures_raise_the_servers_message(status, answer, expected):
    body = client.request_body(client.build_inputs("sample", 2, seed=1, labels=[0, 5]), "sample")
    with (
        rest_server(status, answer) as (address, received),
        pytest.raises(client.ServerError, match=expected),
    ):
        client.predict(address, "digits", body, timeout=30)
    assert received == [("/v1/models/digits:predict", body)]


def test_rest_versions_labels_and_unreachable_server():
    body = {"signature_name": "log_prob", "inputs": {"images": [[[[0]]]]}}
    answer = {"outputs": {"log_prob": [-1.5], "bits_per_dim": [2.2]}}
    with rest_server(200, answer) as (address, received):
        assert client.predict(address, "digits", body, timeout=30, version=3) == answer
    assert received == [("/v1/models/digits/versions/3:predict", body)]
    with rest_server(200, answer) as (address, received):
        client.predict(address, "digits", body, timeout=30, label="canary")
    assert received == [("/v1/models/digits/labels/canary:predict", body)]
    with pytest.raises(ValueError, match="not both. Received: version=3, label=canary"):
        client.predict(address, "digits", body, timeout=30, version=3, label="canary")
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(client.ServerError, match=f"Could not reach http://127.0.0.1:{port}/v1"):
        client.predict(f"http://127.0.0.1:{port}", "digits", body, timeout=30)


def run_client(address, tmp_path, *flags):
    """export/client.py (REST: no TensorFlow in the process) asking `address` for 2 samples."""
    return subprocess.run(
        [sys.executable, str(CLIENT_PATH), f"--server={address}", "--model_name=digits",
         "--signature=sample", "--labels=0,1", f"--output_dir={tmp_path / 'out'}", *flags],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("status", [400, 200])
def test_command_line_exits_1_with_the_servers_message(status, tmp_path):
    with rest_server(status, {"error": MESSAGE}) as (address, _):
        result = run_client(address, tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    assert MESSAGE in result.stderr, result.stderr[-3000:]
    assert result.stderr.startswith("error: "), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_command_line_writes_the_served_samples(tmp_path):
    images = np.random.default_rng(2).integers(0, 256, (2, 3, 4, 1)).astype(np.uint8)
    answer = {"predictions": [{"images": image.tolist()} for image in images]}
    with rest_server(200, answer) as (address, received):
        result = run_client(address, tmp_path, "--model_version=2", "--seed=5")
    assert result.returncode == 0, result.stderr[-3000:]
    ((path, body),) = received
    assert path == "/v1/models/digits/versions/2:predict"
    assert body["instances"] == [{"seed": [5, 0], "labels": 0}, {"seed": [5, 1], "labels": 1}]
    for i, image in enumerate(images):
        png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "out" / f"sample_{i}.png")))
        np.testing.assert_array_equal(png.numpy(), image)
