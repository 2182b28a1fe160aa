"""launch/compress.py on code grids, as a user of a VQ-VAE prior runs it: a `.npy` of
grids -> one `.npy.tpcz` -> the same grids, for a `CodePixelCNN` workdir (class
conditional, `--label`) and `.keras` file (conditioned on a code map, `--condition_npy`)."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.compression import header as header_lib
from tf_pixelcnn.training import workdir_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
SMALL = dict(embedding_dim=4, num_layers=2, filters=6, kernel_size=3)


def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "launch/compress.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_workdirs_grids_round_trip_at_their_bits(tmp_path):
    """[N, h, w] grids of a class-conditional prior: one .npy.tpcz of N grids whose
    size is −log2 p(grids | label) plus the header, decoded back to int32 [N, h, w]."""
    model = tpc.CodePixelCNN(grid_shape=(3, 4), num_codes=700, num_classes=3, **SMALL)
    workdir = tmp_path / "prior"
    workdir_model.write_model_config(model, str(workdir))
    tf.train.Checkpoint(model=model).save(str(workdir / "checkpoints" / "ckpt"))
    grids = np.random.default_rng(0).integers(0, 700, (5, 3, 4)).astype(np.int64)
    np.save(tmp_path / "grids.npy", grids)
    packed, back = tmp_path / "packed", tmp_path / "back"

    result = run(f"--workdir={workdir}", "--label=2", f"--input={tmp_path}/*.npy",
                 f"--output={packed}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "compressed 1 files (5 images or grids)" in result.stdout
    assert os.listdir(packed) == ["grids.npy.tpcz"]
    data = (packed / "grids.npy.tpcz").read_bytes()
    labels = np.full([5], 2, np.int32)
    log_p = model.log_prob(grids[..., None].astype(np.int32), condition=labels).numpy()
    bits = -log_p.sum() / np.log(2)
    assert bits - 64 <= 8 * (len(data) - header_lib.SIZE) <= 1.01 * bits + 64
    np.testing.assert_array_equal(tpc.compression.decompress(model, data, labels)[..., 0], grids)

    result = run(f"--workdir={workdir}", "--label=2", "--decompress",
                 f"--input={packed}/*.tpcz", f"--output={back}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    decoded = np.load(back / "grids.npy")
    assert decoded.dtype == np.int32 and decoded.shape == (5, 3, 4)
    np.testing.assert_array_equal(decoded, grids)


def test_code_map_conditions_come_from_condition_npy_and_bad_data_is_named(tmp_path):
    model = tpc.CodePixelCNN(
        grid_shape=(4, 4), num_codes=50, condition_grid_shape=(2, 2), condition_num_codes=8,
        **SMALL,
    )  # fmt: skip
    model.save(tmp_path / "model.keras")
    rng = np.random.default_rng(1)
    grids = rng.integers(0, 50, (3, 4, 4, 1)).astype(np.int32)  # with the channel axis
    top = rng.integers(0, 8, (3, 2, 2)).astype(np.int32)
    inputs = tmp_path / "in"
    inputs.mkdir()
    np.save(inputs / "bottom.npy", grids)
    np.save(tmp_path / "top.npy", top)
    keras_file = f"--model={tmp_path / 'model.keras'}"
    condition = f"--condition_npy={tmp_path / 'top.npy'}"

    result = run(keras_file, condition, f"--input={inputs}/bottom.npy", f"--output={tmp_path}/p")
    assert result.returncode == 0, result.stderr[-2000:]
    data = (tmp_path / "p" / "bottom.npy.tpcz").read_bytes()
    np.testing.assert_array_equal(
        tpc.compression.decompress(model, data, top[..., None]), grids
    )
    corrupted = bytearray(data)
    corrupted[-1] ^= 0x01
    (tmp_path / "p" / "bottom.npy.tpcz").write_bytes(bytes(corrupted))
    result = run(keras_file, condition, "--decompress", f"--input={tmp_path}/p/*.tpcz",
                 f"--output={tmp_path}/back")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        f"compress.py: error: {tmp_path}/p/bottom.npy.tpcz: Corrupted data"
    ), result.stderr[-2000:]

    np.save(inputs / "bottom.npy", np.full((3, 4, 4), 50, np.int32))  # a code ≥ K
    result = run(keras_file, condition, f"--input={inputs}/bottom.npy", f"--output={tmp_path}/q")
    assert result.returncode == 1
    assert "bottom.npy: " in result.stderr and "num_levels=50" in result.stderr
    result = run(keras_file, "--label=1", f"--input={inputs}/bottom.npy", f"--output={tmp_path}/q")
    assert result.returncode != 0 and "give --condition_npy" in result.stderr
