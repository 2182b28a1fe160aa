"""Scratch profile of the cached sampler (issue 13): ops per pixel and time per batch,
the committed baseline (`git show BASE:tf_pixelcnn/sampling/cached.py`) against the
working tree, side by side in one run, with and without XLA.

    python3 benchmarks/cached_step_profile.py --models=small,cifar --batches=1,4 --repeats=2

Ratios are "cached time per batch / one forward pass of the batch" (untrained weights:
the cost does not depend on them); each time is the median of `--repeats` timed calls
after an untimed call of the same shape.
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tf_pixelcnn as tpc  # noqa: E402
from tf_pixelcnn.distributions import random_stream  # noqa: E402
from tf_pixelcnn.sampling import cached as cached_after  # noqa: E402

MODELS = {"small": (8, 64), "cifar": (15, 128)}
IMAGE_SHAPE = (32, 32, 3)


def load_baseline(rev):
    source = subprocess.run(
        ["git", "show", f"{rev}:tf_pixelcnn/sampling/cached.py"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "cached_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("cached_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ops_per_pixel(concrete):
    """Nodes of the innermost while body (the pixel step) and of its row body."""
    library = {f.signature.name: f for f in concrete.graph.as_graph_def().library.function}

    def bodies(nodes):
        return [n.attr["body"].func.name for n in nodes if n.op in ("While", "StatelessWhile")]

    row_body = bodies(concrete.graph.as_graph_def().node)[0]
    pixel_body = bodies(library[row_body].node_def)[0]
    count = lambda name: sum(  # noqa: E731
        1 for n in library[name].node_def if n.op not in ("Identity", "Const", "NoOp")
    )
    inputs = len(library[pixel_body].signature.input_arg)  # loop variables, captures included
    return f"{count(pixel_body)} ({inputs} loop vars)", count(row_body)


def timed(fn, repeats):
    np.asarray(fn())  # warm-up call of the same shape (traces / compiles)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(fns, repeats):
    """Median seconds of each function, timed in turn (A, B, C, A, B, C, ...) after one
    untimed warm-up call each, so that load from other jobs hits all of them alike."""
    for fn in fns.values():
        np.asarray(fn())
    times = {key: [] for key in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            start = time.perf_counter()
            np.asarray(fn())
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="small,cifar")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--base", default="617f84d")
    parser.add_argument("--xla", default="0,1")
    parser.add_argument("--intra_op_threads", type=int, default=0, help="0: TF's default")
    parser.add_argument("--columns_per_step", type=int, default=0, help="0: the module's")
    args = parser.parse_args()
    if args.columns_per_step:
        cached_after.COLUMNS_PER_STEP = args.columns_per_step
    if args.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
    before = load_baseline(args.base)
    samplers = {"before": before.cached_sample, "after": cached_after.cached_sample}
    print("| model | batch | forward (s) | variant | ops/pixel | ops/row | cached (s) | XLA (s) "
          "| cached / fwd | XLA / fwd |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        layers, filters = MODELS[name]
        model = tpc.GatedPixelCNN(IMAGE_SHAPE, layers, filters, 5, 256)
        for batch in map(int, args.batches.split(",")):
            images = np.zeros((batch, *IMAGE_SHAPE), np.int32)
            forward = tf.function(lambda x: model(x))
            uniform = random_stream.uniform_noise(
                random_stream.per_image_seeds((0, 1), batch), IMAGE_SHAPE
            )
            fns, results = {}, {}
            for variant, sampler in samplers.items():
                for xla in map(int, args.xla.split(",")):
                    fns[variant, xla] = tf.function(
                        lambda u, s=sampler: s(model, u), jit_compile=bool(xla)
                    )
            ops = {v: ops_per_pixel(fns[v, 0].get_concrete_function(uniform))
                   for v in samplers} if 0 in map(int, args.xla.split(",")) else {}
            forward_s = timed(lambda: forward(images), max(3, args.repeats))
            results = interleaved({k: (lambda fn=fn: fn(uniform)) for k, fn in fns.items()},
                                  args.repeats)
            first = next(iter(fns))
            reference = np.asarray(fns[first](uniform))
            images_equal = {
                f"{v}{' XLA' if x else ''}": int(np.sum(reference != fns[v, x](uniform)))
                for v, x in fns
            }
            for variant in samplers:
                c = results.get((variant, 0), float("nan"))
                x = results.get((variant, 1), float("nan"))
                o = ops.get(variant, ("-", "-"))
                print(f"| {name} ({layers}×{filters}) | {batch} | {forward_s:.4f} | {variant} | "
                      f"{o[0]} | {o[1]} | {c:.3f} | {x:.3f} | {c / forward_s:.1f} | "
                      f"{x / forward_s:.1f} |", flush=True)
            print(f"<!-- {name} batch {batch}: sub-pixels that differ from {first}: "
                  f"{images_equal} -->", flush=True)


if __name__ == "__main__":
    main()
