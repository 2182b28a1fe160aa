"""log_prob throughput through the SavedModel (TF1 session loader, TF Serving's path) vs in-process.

    python benchmarks/serving.py [--batch_size=16] [--repeats=5]

Exports a CIFAR-size Gated PixelCNN (32×32×3, 15 layers, 128 filters, kernel 5), loads it
with the session loader, and times `log_prob` on the same uint8 batch through
`Session.run` and through the in-process model's compiled `log_prob`, interleaved.
Writes `serving.json` and `serving.md`. Goal: served ≥ 90% of in-process images/s.
"""

import json
import tempfile
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from report import write_report  # benchmarks/report.py, next to this script

_BATCH = flags.DEFINE_integer("batch_size", 16, "Images per request.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed calls of each (after one warm-up).")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")


# The head as wide as the stacks (the default before issue 20): the README's tables
# were measured with it.
HEAD = "filters"

def main(argv):
    del argv
    model = tpc.GatedPixelCNN((32, 32, 3), 15, 128, 5, 256, output_filters=HEAD)
    images = np.random.default_rng(0).integers(0, 256, (_BATCH.value, 32, 32, 3)).astype(np.uint8)
    in_process = tf.function(lambda x: model.log_prob(tf.cast(x, tf.int32)))
    with tempfile.TemporaryDirectory() as base:
        path = tpc.serving.export_saved_model(model, base)
        graph = tf.Graph()
        session = tf.compat.v1.Session(graph=graph)
        with graph.as_default():
            meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        signature = meta.signature_def["log_prob"]
        feed_name = signature.inputs["images"].name
        fetch = signature.outputs["log_prob"].name

        served_value = session.run(fetch, {feed_name: images})
        local_value = in_process(images).numpy()
        np.testing.assert_allclose(served_value, local_value, rtol=1e-4, atol=1e-3)
        served, local = [], []
        for _ in range(_REPEATS.value):
            start = time.perf_counter()
            session.run(fetch, {feed_name: images})
            served.append(time.perf_counter() - start)
            start = time.perf_counter()
            in_process(images).numpy()
            local.append(time.perf_counter() - start)
    served_rate = _BATCH.value / np.median(served)
    local_rate = _BATCH.value / np.median(local)
    result = {
        "batch": _BATCH.value,
        "served_images_per_s": served_rate,
        "in_process_images_per_s": local_rate,
        "served_over_in_process": served_rate / local_rate,
    }
    print(json.dumps(result))
    markdown = (
        "| batch | SavedModel via session (img/s) | in-process (img/s) | ratio |\n|---|---|---|---|\n"
        f"| {_BATCH.value} | {served_rate:.2f} | {local_rate:.2f} | {100 * served_rate / local_rate:.0f}% |"
    )
    write_report(_OUTPUT_DIR.value, "serving", result, markdown)


if __name__ == "__main__":
    app.run(main)
