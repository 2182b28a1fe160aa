"""A TensorFlow Serving client (REST or gRPC) for tf_pixelcnn SavedModels; writes sampled PNGs.

    python export/client.py --server=http://localhost:8501 --model_name=digits \
        --signature=sample --num_images=10 --labels=0,1,2,3,4,5,6,7,8,9 --output_dir=/tmp/out
    python export/client.py ... --signature=log_prob --images_npy=images.npy [--format=inputs]
    python export/client.py ... --signature=complete --images_npy=images.npy --known_rows=4
    python export/client.py --model_name=prior --signature=log_prob --codes_npy=codes.npy \
        [--condition_codes_npy=top.npy]    # a CodePixelCNN: int32 codes [B,h,w]
    python export/client.py --model_name=digits_scores --signature=score --images_npy=images.npy
    python export/client.py --protocol=grpc --server=localhost:8500 --model_name=digits \
        --model_version=2 --signature=sample --labels=3,7     # or --version_label=canary

REST bodies use the `instances` (row) format by default or the `inputs` (columnar) format;
REST needs only the standard library and NumPy (no TensorFlow, no tf_pixelcnn).
`--protocol=grpc` sends a `PredictRequest` to `PredictionService.Predict` and needs the
`serving` extra (`tensorflow-serving-api`, `grpcio`, TensorFlow). A request the server
refuses prints the server's message and exits with status 1.

A `CodePixelCNN` export (a VQ-VAE prior) takes int32 `codes` [B,h,w] where image models
take `images` (`--codes_npy`), a code map condition as `condition_codes` [B,h',w']
(`--condition_codes_npy`), and its `sample` / `complete` answer `codes`, written to
`<signature>_codes.npy` instead of PNGs. The client does not ask the server which one a
model takes: the flags name the input.
"""

import json
import os
import struct
import sys
import urllib.error
import urllib.request
import zlib

import numpy as np
from absl import app, flags

DEFAULT_SERVERS = {"rest": "http://localhost:8501", "grpc": "localhost:8500"}

_PROTOCOL = flags.DEFINE_enum(
    "protocol", "rest", ["rest", "grpc"], "TF Serving's REST API or its gRPC PredictionService."
)
_SERVER = flags.DEFINE_string(
    "server", None, f"Server address; default {DEFAULT_SERVERS['rest']} (rest), "
    f"{DEFAULT_SERVERS['grpc']} (grpc: host:port, no scheme).",
)  # fmt: skip
_MODEL_VERSION = flags.DEFINE_integer(
    "model_version", None, "Model version to ask for (default: the server's newest).", lower_bound=1
)
_VERSION_LABEL = flags.DEFINE_string(
    "version_label", None, "Version label to ask for (models.config `version_labels`)."
)
flags.mark_flags_as_mutual_exclusive(["model_version", "version_label"])
_TIMEOUT = flags.DEFINE_float("timeout", 600.0, "Seconds to wait for the answer.")
_MODEL_NAME = flags.DEFINE_string("model_name", "pixelcnn", "Model name in TF Serving.")
_SIGNATURE = flags.DEFINE_enum(
    "signature",
    "sample",
    ["sample", "log_prob", "encode", "decode", "reconstruct", "sample_given", "complete", "score"],
    "Signature.",
)
_FORMAT = flags.DEFINE_enum("format", "instances", ["instances", "inputs"], "Request format.")
_NUM_IMAGES = flags.DEFINE_integer("num_images", 4, "Images to sample (sample, decode).")
_SEED = flags.DEFINE_integer("seed", 0, "Image i gets seed (seed, i).")
_LABELS = flags.DEFINE_list("labels", None, "Class labels, one per image.")
_IMAGES = flags.DEFINE_string("images_npy", None, "uint8 [B,H,W,C] images (.npy).")
_CODES = flags.DEFINE_string(
    "codes_npy", None, "int32 [B,h,w] code grids (.npy) of a CodePixelCNN, instead of images."
)
_CONDITION_CODES = flags.DEFINE_string(
    "condition_codes_npy", None, "int32 [B,h',w'] conditioning code maps (.npy) of a CodePixelCNN."
)
_CODE = flags.DEFINE_string("code_npy", None, "float32 [B,m] codes (.npy) for decode.")
_AUXILIARY = flags.DEFINE_string(
    "auxiliary_npy", None, "uint8 x̂ (.npy) for sample_given: 4-bit grayscale or half resolution."
)
_KNOWN_ROWS = flags.DEFINE_integer(
    "known_rows", None, "complete: image rows kept from --images_npy (the rest are drawn)."
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", ".", "Where PNGs and responses go.")


def request_body(inputs: dict[str, np.ndarray], signature: str, fmt: str = "instances") -> dict:
    """The JSON body of a predict request: named inputs, one row per image."""
    batch = {len(value) for value in inputs.values()}
    if len(batch) != 1:
        raise ValueError(
            f"All inputs need one batch size. Received: "
            f"{ {k: np.shape(v) for k, v in inputs.items()} }."
        )
    body = {"signature_name": signature}
    if fmt == "inputs":
        body["inputs"] = {name: np.asarray(value).tolist() for name, value in inputs.items()}
    else:
        size = batch.pop()
        body["instances"] = [
            {name: np.asarray(value)[i].tolist() for name, value in inputs.items()}
            for i in range(size)
        ]
    return body


IMAGE_SIGNATURES = ("sample", "decode", "reconstruct", "sample_given", "complete")


def build_inputs(
    signature: str, num_images: int, seed: int, labels=None, images=None, code=None,
    auxiliary=None, known_rows: int | None = None, codes=None, condition_codes=None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Named inputs of `signature` (see tf_pixelcnn.serving.signatures); image i of the
    batch gets the seed pair (seed, i); `complete` keeps `known_rows` rows of each image.
    A `CodePixelCNN`'s `codes` (int32 [B,h,w]) and `condition_codes` take the place of
    `images` and of an image condition."""
    values = images if codes is None else codes
    if signature in ("log_prob", "encode", "reconstruct", "complete", "score") and values is None:
        raise ValueError(f"--signature={signature} needs --images_npy (or --codes_npy).")
    if images is not None and codes is not None:
        raise ValueError("Give --images_npy or --codes_npy, not both.")
    if signature == "complete":
        height = np.shape(values)[1]
        if known_rows is None or not 0 <= known_rows <= height:
            raise ValueError(
                f"--signature=complete needs --known_rows in [0, {height}] (the images' "
                f"height). Received: known_rows={known_rows}."
            )
    if signature == "decode" and code is None:
        raise ValueError("--signature=decode needs --code_npy.")
    if signature == "sample_given" and auxiliary is None:
        raise ValueError("--signature=sample_given needs --auxiliary_npy.")
    batch = next(
        (len(a) for a in (images, codes, code, auxiliary, condition_codes) if a is not None),
        num_images,
    )
    inputs: dict[str, np.ndarray] = {}
    if auxiliary is not None:
        inputs["auxiliary"] = np.asarray(auxiliary, np.uint8)
    if images is not None:
        inputs["images"] = np.asarray(images, np.uint8)
    if codes is not None:
        inputs["codes"] = np.asarray(codes, np.int32)
    if code is not None:
        inputs["code"] = np.asarray(code, np.float32)
    if signature == "complete":
        inputs["known_rows"] = np.full(batch, known_rows, np.int32)
    if signature in IMAGE_SIGNATURES:
        inputs["seed"] = np.stack([np.full(batch, seed), np.arange(batch)], 1).astype(np.int32)
    if labels is not None and signature in ("sample", "log_prob", "complete"):
        inputs["labels"] = np.asarray(labels, np.int32)
    if condition_codes is not None and signature in ("sample", "log_prob", "complete"):
        inputs["condition_codes"] = np.asarray(condition_codes, np.int32)
    return inputs


def encode_png(image: np.ndarray) -> bytes:
    """A PNG file of `uint8 [H, W, 1 or 3]` (standard library only)."""
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2}[channels]
    rows = b"".join(b"\x00" + image[r].tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class ServerError(RuntimeError):
    """A request the server refused or could not answer; the message is the server's."""


def predict_url(
    server: str, model_name: str, version: int | None = None, label: str | None = None
) -> str:
    """TF Serving's REST predict URL: `/v1/models/NAME[/versions/N|/labels/LABEL]:predict`."""
    if version is not None and label is not None:
        raise ValueError(
            f"Ask for a version or a label, not both. Received: version={version}, label={label}."
        )
    versioned = "" if version is None else f"/versions/{version}"
    labelled = "" if label is None else f"/labels/{label}"
    return f"{server.rstrip('/')}/v1/models/{model_name}{versioned}{labelled}:predict"


def _error_message(payload: bytes) -> str:
    """The `error` field of a JSON error body, or the body itself."""
    text = payload.decode("utf-8", "replace")
    try:
        return str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        return text[:2000]


def predict(
    server: str,
    model_name: str,
    body: dict,
    timeout: float | None = 600,
    version: int | None = None,
    label: str | None = None,
) -> dict:
    """POSTs `body` to TF Serving's REST API and returns the JSON answer (the newest
    version of `model_name`, or `version`, or the version `label` names).

    Raises:
        ServerError: the server answered an HTTP error or a body with `error` (its message
            is kept: TensorFlow's `InvalidArgument` text for a bad request), or could not be
            reached.
    """
    url = predict_url(server, model_name, version, label)
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        raise ServerError(f"HTTP {error.code} from {url}: {_error_message(error.read())}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ServerError(f"Could not reach {url}: {getattr(error, 'reason', error)}") from None
    try:
        answer = json.loads(payload)
    except ValueError:
        raise ServerError(f"{url} answered something other than JSON: {payload[:200]!r}") from None
    if isinstance(answer, dict) and "error" in answer:
        raise ServerError(f"{url} answered an error: {answer['error']}")
    return answer


def predict_request(
    inputs: dict[str, np.ndarray],
    model_name: str,
    signature: str,
    version: int | None = None,
    label: str | None = None,
):
    """A `tensorflow.serving.PredictRequest`: model name, version or version label, signature
    name, and one `TensorProto` per input (dtype and shape of the array)."""
    import tensorflow as tf  # the serving extra: only --protocol=grpc needs TensorFlow
    from tensorflow_serving.apis import predict_pb2

    predict_url("", model_name, version, label)  # refuses a version and a label together
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
    return request


def predict_grpc(
    server: str,
    model_name: str,
    inputs: dict[str, np.ndarray],
    signature: str,
    version: int | None = None,
    label: str | None = None,
    timeout: float | None = 600,
) -> dict:
    """Calls `PredictionService.Predict` at `server` (`host:port`).

    Returns:
        `{"model_spec": {"name", "version", "signature_name"}, "outputs": {name: array}}`,
        the model spec the server answered with and the named output arrays.

    Raises:
        ServerError: a gRPC status other than OK (its code and the server's message).
    """
    if "://" in server:
        raise ValueError(f"--protocol=grpc takes host:port, no scheme. Received: server={server}.")
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    request = predict_request(inputs, model_name, signature, version, label)
    unlimited = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
    with grpc.insecure_channel(server, options=unlimited) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise ServerError(f"{error.code().name} from {server}: {error.details()}") from None
    spec = response.model_spec
    return {
        "model_spec": {
            "name": spec.name,
            "version": spec.version.value if spec.HasField("version") else None,
            "signature_name": spec.signature_name,
        },
        "outputs": {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()},
    }


def call_server(
    protocol: str,
    server: str,
    model_name: str,
    signature: str,
    inputs: dict[str, np.ndarray],
    fmt: str = "instances",
    version: int | None = None,
    label: str | None = None,
    timeout: float | None = 600,
) -> dict:
    """Sends `inputs` over REST (a `fmt` body) or gRPC; returns the answer as JSON-able lists.

    A REST answer is returned as is (`{"predictions": ...}` or `{"outputs": ...}`); a gRPC
    answer as `{"model_spec": ..., "outputs": {name: nested lists}}`.

    Raises:
        ServerError: the server refused the request (its message) or could not be reached.
    """
    if protocol == "grpc":
        answer = predict_grpc(server, model_name, inputs, signature, version, label, timeout)
        outputs = {name: value.tolist() for name, value in answer["outputs"].items()}
        return {"model_spec": answer["model_spec"], "outputs": outputs}
    if protocol != "rest":
        raise ValueError(f"protocol must be 'rest' or 'grpc'. Received: protocol={protocol!r}.")
    body = request_body(inputs, signature, fmt)
    return predict(server, model_name, body, timeout, version, label)


def write_outputs(response: dict, signature: str, output_dir: str) -> list[str]:
    """Writes `<signature>_response.json` and, for image signatures, `<signature>_<i>.png`
    (uint8 [H, W, C] each) or, for code grids (`codes` int32 [B, h, w]: no channel axis),
    `<signature>_codes.npy` into `output_dir`; returns the paths of the PNGs or the .npy."""
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, f"{signature}_response.json"), "w") as f:
        json.dump(response, f)
    if signature not in IMAGE_SIGNATURES:
        return []
    values = _drawn_values(response.get("predictions", response.get("outputs")))
    if values.ndim == 3:  # [B, h, w]: codes (images always have their channel axis)
        path = os.path.join(output_dir, f"{signature}_codes.npy")
        np.save(path, values.astype(np.int32))
        return [path]
    paths = []
    for i, pixels in enumerate(values.astype(np.uint8)):
        paths.append(os.path.join(output_dir, f"{signature}_{i}.png"))
        with open(paths[-1], "wb") as f:
            f.write(encode_png(pixels))
    return paths


def _drawn_values(outputs) -> np.ndarray:
    """The `images` or `codes` of an answer: columnar (`{name: array}`), rows of named
    outputs (`[{name: value}]`), or the one output unnamed (TF Serving drops the name of
    a signature's only output)."""
    def pick(named):
        return named["codes"] if "codes" in named else named["images"]

    if isinstance(outputs, dict):
        return np.asarray(pick(outputs))
    return np.asarray([pick(row) if isinstance(row, dict) else row for row in outputs])


def main(argv):
    del argv
    images = np.load(_IMAGES.value) if _IMAGES.value else None
    codes = np.load(_CODES.value) if _CODES.value else None
    condition_codes = np.load(_CONDITION_CODES.value) if _CONDITION_CODES.value else None
    code = np.load(_CODE.value) if _CODE.value else None
    auxiliary = np.load(_AUXILIARY.value) if _AUXILIARY.value else None
    labels = [int(x) for x in _LABELS.value] if _LABELS.value else None
    num_images = len(labels) if labels else _NUM_IMAGES.value
    inputs = build_inputs(
        _SIGNATURE.value, num_images, _SEED.value, labels, images, code, auxiliary,
        _KNOWN_ROWS.value, codes, condition_codes,
    )  # fmt: skip
    try:
        response = call_server(
            _PROTOCOL.value, _SERVER.value or DEFAULT_SERVERS[_PROTOCOL.value], _MODEL_NAME.value,
            _SIGNATURE.value, inputs, _FORMAT.value, _MODEL_VERSION.value, _VERSION_LABEL.value,
            _TIMEOUT.value,
        )  # fmt: skip
    except ServerError as error:
        sys.exit(f"error: {error}")  # exit status 1, the server's message on stderr
    paths = write_outputs(response, _SIGNATURE.value, _OUTPUT_DIR.value)
    for path in paths:
        print(path)
    if not paths:
        print(json.dumps(response.get("predictions", response.get("outputs")))[:2000])


if __name__ == "__main__":
    app.run(main)
