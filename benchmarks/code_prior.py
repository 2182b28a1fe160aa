"""A PixelCNN prior over discrete codes at K = 4,096 (and 512): bits per code, sampling
time per grid, parameters and memory (issue 18, "a PixelCNN prior over discrete codes").

    python benchmarks/code_prior.py [--num_codes=512,4096] [--patch_size=2] [--steps=300]
        [--batch_size=32] [--num_layers=6] [--filters=64] [--embedding_dim=64]
        [--output_filters=128] [--timed_calls=3] [--jit=graph,xla]
        [--cache_dir=~/.cache/tf_pixelcnn/code_grids] [--output_dir=/tmp/...]

Data: k-means codes (`tf_pixelcnn.data.code_grids`) of the 2×2 patches of the 16×16
photo patches, so 8×8 grids: K centres fitted on the train split's 390,400 patches
(26,825 distinct), both splits encoded with them (6,100 train and 350 test grids, disjoint
regions of the two photographs). The fit is done once and cached; its time is reported.

For each K, in its own process (so that its peak memory is its own): a `CodePixelCNN`
(`--num_layers` × `--filters`, kernel 3, code embedding `--embedding_dim`, K logits
from `--output_filters`) is trained `--steps` Adam steps (batch `--batch_size`, lr 2e-3
with cosine decay), then reports
  * test bits per code, −log2 p(z) / (h·w) over the test grids, against the unigram
    baseline (the train split's code frequencies with add-one smoothing, evaluated on
    the test codes: the entropy a prior without context pays) and uniform log2 K;
  * sampling time per grid of `tpc.sample(method="cached")` at batch 1 and 16, per
    `--jit` mode: "graph" (`jit_compile=False`, the bit-exact reference) and "xla"
    (`jit_compile=True`); the first call (tracing, compilation) apart, then the shortest
    of `--timed_calls` calls;
  * the parameter count; peak resident memory of the process
    (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, the whole process: TensorFlow, the data,
    training and sampling), and the same just before the model is built (the part that
    is not the model's); TensorFlow's own CPU allocator statistics
    (`tf.config.experimental.get_memory_info("CPU:0")`) where it keeps them.
Writes `code_prior.json`, `code_prior.md` and `code_prior_samples_k<K>.png` (16 sampled
grids decoded through the centres, over 16 test grids spread over the split, decoded:
the codes' reconstruction of real patches) to `--output_dir`.
"""

import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
from absl import app, flags

_NUM_CODES = flags.DEFINE_list("num_codes", ["512", "4096"], "K of each prior.")
_PATCH = flags.DEFINE_integer("patch_size", 2, "p of the coded patches (16/p × 16/p grids).")
_STEPS = flags.DEFINE_integer("steps", 300, "Training steps per prior.")
_BATCH = flags.DEFINE_integer("batch_size", 32, "Training batch.")
_LAYERS = flags.DEFINE_integer("num_layers", 6, "Gated blocks.")
_FILTERS = flags.DEFINE_integer("filters", 64, "Filters per block.")
_EMBEDDING = flags.DEFINE_integer("embedding_dim", 64, "Width of a code's embedding.")
_OUTPUT_FILTERS = flags.DEFINE_integer("output_filters", 128, "Width the K logits come from.")
_CALLS = flags.DEFINE_integer("timed_calls", 3, "Timed sampler calls (the shortest is kept).")
_JIT = flags.DEFINE_list("jit", ["graph", "xla"], "Sampler modes: graph, xla.")
_CACHE = flags.DEFINE_string("cache_dir", None, "Code-grid cache (default ~/.cache/...).")
_OUTPUT = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")
_WORKER = flags.DEFINE_integer("worker", 0, "Internal: run one K in this process.")

SAMPLE_BATCHES = (1, 16)


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def unigram_bits(train_codes, test_codes, num_codes: int) -> float:
    """−mean log2 q(z) over the test codes, q the add-one-smoothed train frequencies."""
    counts = np.bincount(train_codes.ravel(), minlength=num_codes) + 1.0
    return float(-np.mean(np.log2(counts / counts.sum())[test_codes.ravel()]))


def bits_per_code(model, codes, batch: int = 256) -> float:
    total = 0.0
    for start in range(0, len(codes), batch):
        total += float(np.sum(model.log_prob(codes[start : start + batch]).numpy()))
    return -total / (codes.size * math.log(2.0))


def train(model, codes, steps: int, batch: int, seed: int = 0):
    import keras

    from tf_pixelcnn.training.train_step import make_train_step

    schedule = keras.optimizers.schedules.CosineDecay(2e-3, steps, alpha=0.05)
    step = make_train_step(model, keras.optimizers.Adam(schedule))
    rng = np.random.default_rng(seed)
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        losses.append(float(step(codes[rng.integers(0, len(codes), batch)])))
    return time.perf_counter() - start, float(np.mean(losses[-50:]))


def time_sampler(model, batch: int, jit: bool, calls: int):
    """`(first call s, shortest later call s, the last call's grids)`."""
    import tf_pixelcnn as tpc

    def draw(seed):
        return tpc.sample(model, batch, seed=(seed, 7), method="cached", jit_compile=jit).numpy()

    start = time.perf_counter()
    draw(0)
    first = time.perf_counter() - start
    times = []
    for call in range(1, calls + 1):
        start = time.perf_counter()
        grids = draw(call)
        times.append(time.perf_counter() - start)
    return first, min(times), grids


def decoded_picture(samples, test_codes, centres, path: str) -> str:
    from tf_pixelcnn.data.code_grids import decode
    from tf_pixelcnn.utils.image_grid import image_grid, write_png

    images = np.concatenate([decode(samples, centres), decode(test_codes, centres)])
    pixels = np.clip(np.round(images), 0, 255).astype(np.int32)
    return write_png(path, image_grid(pixels, 256, columns=len(samples), zoom=4))


def worker(num_codes: int) -> dict:
    import tensorflow as tf

    import tf_pixelcnn as tpc
    from tf_pixelcnn.data.code_grids import load_code_grids

    tf.keras.utils.set_random_seed(0)
    grids = load_code_grids("photo_patches", num_codes, _PATCH.value, cache_dir=_CACHE.value)
    train_codes, test_codes = grids.codes["train"], grids.codes["test"]
    rss_before_model = max_rss_mib()
    model = tpc.CodePixelCNN(
        grid_shape=train_codes.shape[1:3], num_codes=num_codes,
        embedding_dim=_EMBEDDING.value, num_layers=_LAYERS.value, filters=_FILTERS.value,
        kernel_size=3, output_filters=_OUTPUT_FILTERS.value,
    )  # fmt: skip
    train_seconds, train_bits = train(model, train_codes, _STEPS.value, _BATCH.value)
    result = {
        "num_codes": num_codes,
        "grid": list(train_codes.shape[1:3]),
        "fit": grids.fit,
        "parameters": int(model.count_params()),
        "train_steps": _STEPS.value,
        "train_seconds": train_seconds,
        "train_bits_per_code_last_50_steps": train_bits,
        "test_bits_per_code": bits_per_code(model, test_codes),
        "unigram_bits_per_code": unigram_bits(train_codes, test_codes, num_codes),
        "uniform_bits_per_code": math.log2(num_codes),
        "sampling": {},
    }
    for mode in _JIT.value:
        for batch in SAMPLE_BATCHES:
            first, steady, samples = time_sampler(model, batch, mode == "xla", _CALLS.value)
            result["sampling"][f"{mode}_batch{batch}"] = {
                "first_call_seconds": first, "seconds_per_call": steady,
                "seconds_per_grid": steady / batch,
            }  # fmt: skip
            if batch == 16 and "picture" not in result:
                path = os.path.join(_OUTPUT.value, f"code_prior_samples_k{num_codes}.png")
                spread = test_codes[:: len(test_codes) // 16][:16]  # across both photos
                result["picture"] = decoded_picture(samples, spread, grids.centres, path)
    result["max_rss_mib"] = max_rss_mib()
    result["max_rss_mib_before_model"] = rss_before_model
    try:
        result["tf_cpu_memory_info"] = tf.config.experimental.get_memory_info("CPU:0")
    except (ValueError, tf.errors.OpError) as error:  # not kept for CPUs
        result["tf_cpu_memory_info"] = f"unavailable: {str(error).splitlines()[0][:120]}"
    return result


def table(results) -> str:
    modes = [key for key in results[0]["sampling"]]
    lines = [
        "| K | grid | params | k-means fit s (distinct patches) | train s | test bits/code "
        "| unigram | uniform | test / unigram | "
        + " | ".join(f"ms/grid {m}" for m in modes)
        + " | peak RSS MiB (before model) |",
        "|" + "---|" * (10 + len(modes)),
    ]
    for r in results:
        lines.append(
            f"| {r['num_codes']} | {r['grid'][0]}×{r['grid'][1]} | {r['parameters']:,} | "
            f"{r['fit']['seconds']:.1f} ({r['fit']['distinct_patches']:,}) | "
            f"{r['train_seconds']:.0f} | {r['test_bits_per_code']:.3f} | "
            f"{r['unigram_bits_per_code']:.3f} | {r['uniform_bits_per_code']:.3f} | "
            f"{r['test_bits_per_code'] / r['unigram_bits_per_code']:.3f} | "
            + " | ".join(f"{1e3 * r['sampling'][m]['seconds_per_grid']:.1f}" for m in modes)
            + f" | {r['max_rss_mib']:.0f} ({r['max_rss_mib_before_model']:.0f}) |"
        )
    first = ", ".join(
        f"K={r['num_codes']} {m}: {r['sampling'][m]['first_call_seconds']:.1f} s"
        for r in results for m in modes
    )  # fmt: skip
    lines += ["", f"First sampler call (tracing + compilation, then one call): {first}."]
    if len(results) > 1:
        small, large = results[0], results[-1]
        lines.append(
            f"K={large['num_codes']} vs K={small['num_codes']}: parameters "
            f"{large['parameters'] / small['parameters']:.2f}×, peak RSS "
            f"{large['max_rss_mib'] / small['max_rss_mib']:.2f}×, train time "
            f"{large['train_seconds'] / small['train_seconds']:.2f}×, sampling per grid "
            + ", ".join(
                f"{m} {large['sampling'][m]['seconds_per_grid'] / small['sampling'][m]['seconds_per_grid']:.2f}×"  # noqa: E501
                for m in modes
            )
            + "."
        )
    return "\n".join(lines)


def main(argv):
    del argv
    os.makedirs(_OUTPUT.value, exist_ok=True)
    if _WORKER.value:
        print("RESULT " + json.dumps(worker(_WORKER.value), default=str), flush=True)
        return
    results = []
    for num_codes in (int(k) for k in _NUM_CODES.value):
        command = [sys.executable, __file__, f"--worker={num_codes}"] + [
            arg for arg in sys.argv[1:] if not arg.startswith("--num_codes")
        ]
        start = time.perf_counter()
        process = subprocess.run(command, capture_output=True, text=True)
        if process.returncode:
            sys.exit(f"K={num_codes} failed:\n{process.stderr[-3000:]}")
        line = [x for x in process.stdout.splitlines() if x.startswith("RESULT ")][-1]
        results.append(json.loads(line[len("RESULT ") :]))
        print(f"K={num_codes}: done in {time.perf_counter() - start:.0f} s", flush=True)
    text = table(results)
    print(text)
    with open(os.path.join(_OUTPUT.value, "code_prior.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(_OUTPUT.value, "code_prior.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    app.run(main)
