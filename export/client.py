"""A TensorFlow Serving REST client for tf_pixelcnn SavedModels; writes sampled PNGs.

    python export/client.py --server=http://localhost:8501 --model_name=digits \
        --signature=sample --num_images=10 --labels=0,1,2,3,4,5,6,7,8,9 --output_dir=/tmp/out
    python export/client.py ... --signature=log_prob --images_npy=images.npy [--format=inputs]
    python export/client.py ... --signature=complete --images_npy=images.npy --known_rows=4
    python export/client.py --model_name=digits_scores --signature=score --images_npy=images.npy

Bodies use the `instances` (row) format by default or the `inputs` (columnar) format.
Only the standard library and NumPy are needed (no TensorFlow, no tf_pixelcnn).
"""

import json
import os
import struct
import urllib.request
import zlib
from typing import Dict, Optional

from absl import app
from absl import flags
import numpy as np

_SERVER = flags.DEFINE_string("server", "http://localhost:8501", "TF Serving REST address.")
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
_CODE = flags.DEFINE_string("code_npy", None, "float32 [B,m] codes (.npy) for decode.")
_AUXILIARY = flags.DEFINE_string(
    "auxiliary_npy", None, "uint8 x̂ (.npy) for sample_given: 4-bit grayscale or half resolution."
)
_KNOWN_ROWS = flags.DEFINE_integer(
    "known_rows", None, "complete: image rows kept from --images_npy (the rest are drawn)."
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", ".", "Where PNGs and responses go.")


def request_body(inputs: Dict[str, np.ndarray], signature: str, fmt: str = "instances") -> dict:
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
    auxiliary=None, known_rows: Optional[int] = None,
) -> Dict[str, np.ndarray]:  # fmt: skip
    """Named inputs of `signature` (see tf_pixelcnn.serving.signatures); image i of the
    batch gets the seed pair (seed, i); `complete` keeps `known_rows` rows of each image."""
    if signature in ("log_prob", "encode", "reconstruct", "complete", "score") and images is None:
        raise ValueError(f"--signature={signature} needs --images_npy.")
    if signature == "complete":
        height = np.shape(images)[1]
        if known_rows is None or not 0 <= known_rows <= height:
            raise ValueError(
                f"--signature=complete needs --known_rows in [0, {height}] (the images' "
                f"height). Received: known_rows={known_rows}."
            )
    if signature == "decode" and code is None:
        raise ValueError("--signature=decode needs --code_npy.")
    if signature == "sample_given" and auxiliary is None:
        raise ValueError("--signature=sample_given needs --auxiliary_npy.")
    batch = next((len(a) for a in (images, code, auxiliary) if a is not None), num_images)
    inputs: Dict[str, np.ndarray] = {}
    if auxiliary is not None:
        inputs["auxiliary"] = np.asarray(auxiliary, np.uint8)
    if images is not None:
        inputs["images"] = np.asarray(images, np.uint8)
    if code is not None:
        inputs["code"] = np.asarray(code, np.float32)
    if signature == "complete":
        inputs["known_rows"] = np.full(batch, known_rows, np.int32)
    if signature in IMAGE_SIGNATURES:
        inputs["seed"] = np.stack([np.full(batch, seed), np.arange(batch)], 1).astype(np.int32)
    if labels is not None and signature in ("sample", "log_prob", "complete"):
        inputs["labels"] = np.asarray(labels, np.int32)
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


def predict(server: str, model_name: str, body: dict, timeout: Optional[float] = 600) -> dict:
    url = f"{server.rstrip('/')}/v1/models/{model_name}:predict"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def main(argv):
    del argv
    images = np.load(_IMAGES.value) if _IMAGES.value else None
    code = np.load(_CODE.value) if _CODE.value else None
    auxiliary = np.load(_AUXILIARY.value) if _AUXILIARY.value else None
    labels = [int(x) for x in _LABELS.value] if _LABELS.value else None
    num_images = len(labels) if labels else _NUM_IMAGES.value
    inputs = build_inputs(
        _SIGNATURE.value, num_images, _SEED.value, labels, images, code, auxiliary,
        _KNOWN_ROWS.value,
    )  # fmt: skip
    response = predict(
        _SERVER.value, _MODEL_NAME.value, request_body(inputs, _SIGNATURE.value, _FORMAT.value)
    )
    os.makedirs(_OUTPUT_DIR.value, exist_ok=True)
    with open(os.path.join(_OUTPUT_DIR.value, f"{_SIGNATURE.value}_response.json"), "w") as f:
        json.dump(response, f)
    outputs = response.get("predictions", response.get("outputs"))
    if _SIGNATURE.value in IMAGE_SIGNATURES:
        rows = outputs if isinstance(outputs, list) else outputs["images"]
        for i, row in enumerate(rows):
            pixels = np.asarray(row["images"] if isinstance(row, dict) else row, np.uint8)
            path = os.path.join(_OUTPUT_DIR.value, f"{_SIGNATURE.value}_{i}.png")
            with open(path, "wb") as f:
                f.write(encode_png(pixels))
            print(path)
    else:
        print(json.dumps(outputs)[:2000])


if __name__ == "__main__":
    app.run(main)
