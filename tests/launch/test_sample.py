"""launch/sample.py end to end, as a user runs it."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.training import workdir_model

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_samples_a_class_conditional_model_into_rows_per_class(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=5, num_classes=3
    )
    model.save(tmp_path / "model.keras")
    output = tmp_path / "grid.png"
    result = run(
        "launch/sample.py",
        f"--model={tmp_path / 'model.keras'}",
        f"--output={output}",
        "--rows=5",
        "--samples_per_row=4",
        "--batch_size=5",
        "--seed=3",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "batch 3/3 (100%) | images 12 |" in result.stdout  # 12 images in batches of 5
    grid = tf.io.decode_png(tf.io.read_file(str(output))).numpy()
    assert grid.shape == (3 * 5 + 1, 4 * 5 + 1, 1)  # rows capped at the 3 classes


def test_defaults_fit_the_model_and_write_under_the_workdir(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=5, num_classes=3
    )
    workdir_model.write_model_config(model, str(tmp_path))
    tf.train.Checkpoint(model=model).save(str(tmp_path / "checkpoints" / "ckpt"))
    result = run("launch/sample.py", f"--workdir={tmp_path}", "--batch_size=16")
    assert result.returncode == 0, result.stderr[-2000:]
    output = tmp_path / "samples" / "sample_seed0.png"
    assert f"wrote {output}" in result.stdout
    assert not (ROOT / "samples.png").exists()
    grid = tf.io.decode_png(tf.io.read_file(str(output))).numpy()
    assert grid.shape == (3 * 5 + 1, 10 * 5 + 1, 1)  # one row per class, 10 per row
    assert "images 30 |" in result.stdout
    assert result.stderr.strip() == "", result.stderr  # no TensorFlow banners
    refused = run("launch/sample.py", f"--saved_model={tmp_path / 'export' / '1'}")
    assert refused.returncode != 0 and "Give --output with --saved_model" in refused.stderr


def test_vector_conditioned_model_is_refused_with_a_reason(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=1, filters=2, kernel_size=3, num_levels=2, condition_dim=3
    )
    model.save(tmp_path / "model.keras")
    result = run("launch/sample.py", f"--model={tmp_path / 'model.keras'}")
    assert result.returncode != 0
    assert "condition_dim=3" in result.stderr and "needs conditions" in result.stderr


def test_keras_file_workdir_and_saved_model_give_the_same_grid(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 3), num_layers=2, filters=6, kernel_size=3, num_levels=6, num_classes=2
    )
    model.save(tmp_path / "model.keras")
    workdir_model.write_model_config(model, str(tmp_path))
    tf.train.Checkpoint(model=model).save(str(tmp_path / "checkpoints" / "ckpt"))
    version = tpc.serving.export_saved_model(model, str(tmp_path / "export"))
    grids = []
    sources = (  # --nojit_compile: the non-XLA graph, bit-exact with the SavedModel's
        [f"--model={tmp_path / 'model.keras'}", "--nojit_compile"],
        [f"--workdir={tmp_path}", "--intra_op_threads=1", "--nojit_compile"],  # same grid
        [f"--saved_model={version}"],
    )
    for source in sources:
        output = tmp_path / f"grid{len(grids)}.png"
        result = run(
            "launch/sample.py",
            *source,
            f"--output={output}",
            "--rows=2",
            "--samples_per_row=3",
            "--seed=5",
        )
        assert result.returncode == 0, result.stderr[-2000:]
        grids.append(tf.io.decode_png(tf.io.read_file(str(output))).numpy())
    np.testing.assert_array_equal(grids[0], grids[1])
    np.testing.assert_array_equal(grids[0], grids[2])


def test_interpolation_between_two_condition_vectors(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=4, condition_dim=2
    )
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "ends.npy", np.array([[-2.0, 0.0], [2.0, 1.0]], np.float32))
    output = tmp_path / "interpolation.png"
    result = run(
        "launch/sample.py",
        f"--model={tmp_path / 'model.keras'}",
        f"--output={output}",
        f"--interpolate={tmp_path / 'ends.npy'}",
        "--rows=3",
        "--samples_per_row=5",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert tf.io.decode_png(tf.io.read_file(str(output))).shape == (3 * 5 + 1, 5 * 5 + 1, 1)


def test_complete_writes_original_masked_and_completions_keeping_known_rows(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=5, num_classes=3
    )
    model.save(tmp_path / "model.keras")
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        levels = rng.integers(0, 5, (4, 4, 1))
        png = np.round(levels * 255 / 4).astype(np.uint8)  # levels as sample.py writes them
        tf.io.write_file(str(tmp_path / f"{name}.png"), tf.io.encode_png(png))
    result = run(
        "launch/sample.py", f"--model={tmp_path / 'model.keras'}",
        f"--complete={tmp_path}/*.png", "--known_rows=2", "--label=1", "--samples_per_row=3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    output = tmp_path / "samples" / "completion_seed0.png"
    grid = tf.io.decode_png(tf.io.read_file(str(output))).numpy()
    assert grid.shape == (2 * 5 + 1, 5 * 5 + 1, 1)  # original | masked | 3 completions
    for row in range(2):
        cells = [grid[1 + 5 * row : 5 + 5 * row, 1 + 5 * c : 5 + 5 * c] for c in range(5)]
        original, masked, completions = cells[0], cells[1], cells[2:]
        np.testing.assert_array_equal(masked[:2], original[:2])
        for completion in completions:
            np.testing.assert_array_equal(completion[:2], original[:2])  # known rows kept
    unlabelled = run("launch/sample.py", f"--model={tmp_path / 'model.keras'}",
                     f"--complete={tmp_path}/a.png")  # fmt: skip
    assert unlabelled.returncode != 0 and "give --label" in unlabelled.stderr
