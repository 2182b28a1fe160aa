"""A gRPC PredictionService that answers from a SavedModel loaded in-process (tests only).

TF Serving's model server cannot be installed here; this server speaks its protocol with
its real generated protos (`tensorflow_serving.apis`) so that `export/client.py
--protocol=grpc` is tested over a real gRPC channel: `Predict` reads `model_spec.name`,
`model_spec.version` (or `version_label`) and `model_spec.signature_name` and the input
`TensorProto`s, calls the
signature of `tf.saved_model.load(path)` by name, and answers with `TensorProto` outputs.
Errors map to gRPC statuses the way the model server maps them: a TensorFlow error keeps its
code (`InvalidArgument` -> `INVALID_ARGUMENT`) and message; a wrong model name or version is
`NOT_FOUND`; an unknown label, a wrong signature or wrong input names / dtypes are
`INVALID_ARGUMENT`.

Example:
    >>> models = {"digits": {1: "/tmp/models/digits/1", 2: "/tmp/models/digits/2"}}
    >>> with PredictionServer(models, labels={"digits": {"stable": 1}}) as server:
    ...     channel = grpc.insecure_channel(server.address)
"""

from collections.abc import Mapping
from concurrent import futures
from typing import Self

import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

# tf.errors codes are the gRPC status codes (both follow google.rpc.Code).
_STATUS = {status.value[0]: status for status in grpc.StatusCode}


class SavedModelPredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """`Predict` over SavedModels loaded in-process.

    Args:
        models: {model name: {version: SavedModel path}}.
        labels: {model name: {version label: version}} (models.config `version_labels`).
    """

    def __init__(
        self,
        models: Mapping[str, Mapping[int, str]],
        labels: Mapping[str, Mapping[str, int]] | None = None,
    ):
        self.models = {
            name: {int(version): tf.saved_model.load(path) for version, path in versions.items()}
            for name, versions in models.items()
        }
        self.labels = {name: dict(named) for name, named in (labels or {}).items()}

    def _servable(self, model_spec, context):
        """The loaded SavedModel and its version; aborts with NOT_FOUND if there is none."""
        versions = self.models.get(model_spec.name)
        requested = model_spec.version.value if model_spec.HasField("version") else None
        if model_spec.HasField("version_label"):
            label = model_spec.version_label
            requested = self.labels.get(model_spec.name, {}).get(label)
            if requested is None:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Unrecognized servable version label: {label!r}. Labels of "
                    f"{model_spec.name!r}: {self.labels.get(model_spec.name, {})}.",
                )
        if versions is None or (requested is not None and requested not in versions):
            context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: name={model_spec.name!r}, "
                f"version={requested}. Serving: "
                f"{ {name: sorted(v) for name, v in self.models.items()} }.",
            )
        version = max(versions) if requested is None else requested
        return versions[version], version

    def Predict(self, request: predict_pb2.PredictRequest, context) -> predict_pb2.PredictResponse:
        loaded, version = self._servable(request.model_spec, context)
        signature_name = request.model_spec.signature_name or "serving_default"
        if signature_name not in loaded.signatures:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Serving signature key {signature_name!r} not found. Signatures: "
                f"{sorted(loaded.signatures.keys())}.",
            )
        function = loaded.signatures[signature_name]
        specs = function.structured_input_signature[1]
        if set(request.inputs) != set(specs):
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Signature {signature_name!r} takes inputs {sorted(specs)}. "
                f"Received: {sorted(request.inputs)}.",
            )
        for name, spec in specs.items():
            dtype = tf.dtypes.as_dtype(request.inputs[name].dtype)
            if dtype != spec.dtype:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Input {name!r} of {signature_name!r} expects {spec.dtype.name}. "
                    f"Received: {dtype.name}.",
                )
        try:
            arrays = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
            outputs = function(**{name: tf.constant(a) for name, a in arrays.items()})
        except tf.errors.OpError as error:
            context.abort(_STATUS.get(error.error_code, grpc.StatusCode.UNKNOWN), error.message)
        except (TypeError, ValueError) as error:  # shapes the signature cannot take
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        response = predict_pb2.PredictResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = version
        response.model_spec.signature_name = signature_name
        for name, value in outputs.items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


class PredictionServer:
    """A gRPC server on a free port of 127.0.0.1 serving `models` while in a `with` block.

    Args:
        models: {model name: {version: SavedModel path}}.
        labels: {model name: {version label: version}}.
        grace: seconds in-flight calls get when the block ends.
    """

    def __init__(
        self,
        models: Mapping[str, Mapping[int, str]],
        labels: Mapping[str, Mapping[str, int]] | None = None,
        grace: float = 1.0,
    ):
        self.service = SavedModelPredictionService(models, labels)
        self.grace = grace
        self.server: grpc.Server | None = None
        self.address: str | None = None

    def __enter__(self) -> Self:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            self.service, self.server
        )
        port = self.server.add_insecure_port("127.0.0.1:0")  # 0: the OS picks a free port
        if port == 0:
            raise RuntimeError("Could not bind a port on 127.0.0.1 for the gRPC server.")
        self.server.start()
        self.address = f"127.0.0.1:{port}"
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.stop(self.grace).wait(timeout=10 * self.grace + 5)
