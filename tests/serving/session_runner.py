"""Runs SavedModel signatures the way TF Serving does, in a process without tf_pixelcnn.

    python tests/serving/session_runner.py SAVED_MODEL_DIR REQUESTS.pkl RESULTS.pkl

REQUESTS.pkl is a list of `(signature, {input name: array})`. The model is loaded with
the TF1 session loader (the C++ server's path) and each signature is run by the tensor
names of its SignatureDef. RESULTS.pkl gets, per request, `{"outputs": {...}}` or
`{"error": (type name, message)}`, plus the op types of the graph and its functions.

Inputs are fed as a model server feeds them: straight to the runtime, without the
Python client's check of the placeholder's shape (`Session.run` refuses a rank-3 image
before the graph sees it; TF Serving does not), so malformed requests reach the graph's
own checks. A request that aborts the process leaves no RESULTS.pkl and a signal exit.
"""

import os
import pickle
import sys

sys.modules["tf_pixelcnn"] = None  # any import of the package now fails: the server has none
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def run(session, definition, inputs):
    """`{output name: array}`: one request through the C API, as a model server runs it.
    Values are converted to the signature's dtypes (as `Session.run` and TF Serving's
    REST API do); shapes are left as they are."""
    graph = session.graph
    feed = {}
    for name, value in inputs.items():
        info = definition.inputs[name]
        tensor = graph.get_tensor_by_name(info.name)
        feed[tensor._as_tf_output()] = np.asarray(value, tf.as_dtype(info.dtype).as_numpy_dtype)
    names = sorted(definition.outputs)
    fetch = [graph.get_tensor_by_name(definition.outputs[n].name)._as_tf_output() for n in names]
    session._extend_graph()  # what Session.run does before it calls the runtime
    values = session._call_tf_sessionrun(None, feed, fetch, [], None)
    return dict(zip(names, values))


def main(saved_model_dir, requests_path, results_path):
    with open(requests_path, "rb") as f:
        requests = pickle.load(f)
    results = {"responses": []}
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], saved_model_dir)
        graph_def = meta_graph.graph_def
        ops = {node.op for node in graph_def.node}
        for function in graph_def.library.function:
            ops.update(node.op for node in function.node_def)
        results["ops"] = sorted(ops)
        results["signatures"] = {
            name: {
                "inputs": {
                    k: (v.dtype, [d.size for d in v.tensor_shape.dim]) for k, v in s.inputs.items()
                },
                "outputs": sorted(s.outputs),
                "method": s.method_name,
            }
            for name, s in meta_graph.signature_def.items()
            if not name.startswith("__")  # __saved_model_init_op: not a serving signature
        }
        for signature, inputs in requests:
            definition = meta_graph.signature_def[signature]
            try:
                results["responses"].append({"outputs": run(session, definition, inputs)})
            except tf.errors.OpError as error:
                results["responses"].append({"error": (type(error).__name__, error.message)})
    with open(results_path, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
