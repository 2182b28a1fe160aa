"""The files `saved_model_runner` (the C++ loader) reads and writes, and one call of it.

Requests: `[(signature name, {input alias: array})]`. Results: the SavedModel's
signatures as the C++ loader sees them and, per request, its status and outputs:

    {"signatures": {name: {"method": str, "inputs": {alias: (dtype, dims or None)},
                           "outputs": {alias: dtype}}},
     "responses": [{"code": int, "status": "OK" | "INVALID_ARGUMENT" | ...,
                    "message": str, "outputs": {alias: array}}]}

The byte layout is described at the top of saved_model_runner.cc.
"""

import os
import pathlib
import struct
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

import numpy as np

REQUESTS_MAGIC = b"TPCREQ1\n"
RESULTS_MAGIC = b"TPCRES1\n"
DTYPES = ("uint8", "int8", "uint16", "int16", "int32", "int64", "float16", "float32",
          "float64", "bool")  # fmt: skip
# absl::StatusCode, as TF Serving returns it (gRPC uses the same numbers).
STATUS_NAMES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
)  # fmt: skip

Request = tuple[str, Mapping[str, Any]]


def _write_string(f: BinaryIO, value: str) -> None:
    data = value.encode()
    f.write(struct.pack("<I", len(data)) + data)


def _write_tensor(f: BinaryIO, name: str, value) -> None:
    array = np.asarray(value)  # not ascontiguousarray: it makes a scalar 1-D
    if array.dtype.name not in DTYPES:
        raise ValueError(
            f"Input {name} has dtype {array.dtype.name}; the runner takes {', '.join(DTYPES)}."
        )
    _write_string(f, name)
    _write_string(f, array.dtype.name)
    f.write(struct.pack("<i", array.ndim) + struct.pack(f"<{array.ndim}q", *array.shape))
    data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    f.write(struct.pack("<Q", len(data)) + data)


def write_requests(path: str | os.PathLike, requests: Sequence[Request]) -> None:
    """Writes `[(signature, {alias: array})]` as a requests file."""
    with open(path, "wb") as f:
        f.write(REQUESTS_MAGIC + struct.pack("<I", len(requests)))
        for signature, inputs in requests:
            _write_string(f, signature)
            f.write(struct.pack("<I", len(inputs)))
            for name, value in inputs.items():
                _write_tensor(f, name, value)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def take(self, size: int) -> bytes:
        if self.offset + size > len(self.data):
            raise ValueError(f"Truncated results file at byte {self.offset} (+{size}).")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def string(self) -> str:
        (size,) = self.unpack("<I")
        return self.take(size).decode()

    def dims(self) -> list[int] | None:
        (rank,) = self.unpack("<i")
        return None if rank < 0 else list(self.unpack(f"<{rank}q"))

    def tensor(self) -> tuple[str, np.ndarray]:
        name, dtype, dims = self.string(), self.string(), self.dims()
        (size,) = self.unpack("<Q")
        if not dtype.startswith("unsupported:"):
            dtype = np.dtype(dtype).newbyteorder("<")
            return name, np.frombuffer(self.take(size), dtype).reshape(dims).copy()
        return name, np.array(dtype)  # e.g. a string output: named, not decoded


def read_results(path: str | os.PathLike) -> dict:
    """The results file as a dict (module docstring)."""
    reader = _Reader(pathlib.Path(path).read_bytes())
    if reader.take(len(RESULTS_MAGIC)) != RESULTS_MAGIC:
        raise ValueError(f"{path} is not a results file (magic {RESULTS_MAGIC!r}).")
    signatures = {}
    for _ in range(reader.unpack("<I")[0]):
        name, method = reader.string(), reader.string()
        inputs = {}
        for _ in range(reader.unpack("<I")[0]):
            alias, dtype = reader.string(), reader.string()
            inputs[alias] = (dtype, reader.dims())
        outputs = {}
        for _ in range(reader.unpack("<I")[0]):
            alias = reader.string()
            outputs[alias] = reader.string()
        signatures[name] = {"method": method, "inputs": inputs, "outputs": outputs}
    responses = []
    for _ in range(reader.unpack("<I")[0]):
        (code,) = reader.unpack("<i")
        message = reader.string()
        outputs = dict(reader.tensor() for _ in range(reader.unpack("<I")[0]))
        status = STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else str(code)
        responses.append({"code": code, "status": status, "message": message,
                          "outputs": outputs})  # fmt: skip
    return {"signatures": signatures, "responses": responses}


def run_requests(
    runner: str | os.PathLike,
    saved_model_dir: str | os.PathLike,
    requests: Sequence[Request],
    work_dir: str | os.PathLike,
    timeout: float = 600,
) -> tuple[dict | None, subprocess.CompletedProcess]:
    """Runs `requests` with the C++ runner in a new process.

    Returns:
        `(results, process)`: the results (None if the runner wrote none: it failed or
        was killed, see `process.returncode`, negative for a signal, and its stderr).
    """
    work_dir = pathlib.Path(work_dir)
    requests_path, results_path = work_dir / "requests.bin", work_dir / "results.bin"
    results_path.unlink(missing_ok=True)
    write_requests(requests_path, requests)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    process = subprocess.run(
        [str(runner), str(saved_model_dir), str(requests_path), str(results_path)],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip
    if process.returncode != 0 or not results_path.exists():
        return None, process
    return read_results(results_path), process
