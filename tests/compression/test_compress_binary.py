"""launch/compress.py end to end, as a user runs it: PNGs -> .tpcz -> the same PNGs."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "launch/compress.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def write_png(path, pixels):
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


def test_pngs_round_trip_through_the_binary_and_lossy_ones_are_named(tmp_path):
    """Two runs: compress (one PNG needs lossy quantisation: allowed, and said), decompress.
    The refusal without --allow_lossy_quantization: test_png_levels.py."""
    model = tpc.GatedPixelCNN((4, 5, 1), num_layers=2, filters=4, kernel_size=3, num_levels=16)
    model.save(tmp_path / "model.keras")
    rng = np.random.default_rng(0)
    pngs = tmp_path / "pngs"
    pngs.mkdir()
    originals = {}
    for name in ("a", "b"):
        pixels = (rng.integers(0, 16, (4, 5, 1)) * 17).astype(np.uint8)  # level ℓ at 17ℓ
        write_png(pngs / f"{name}.png", pixels)
        originals[name] = pixels
    lossy = rng.integers(0, 256, (4, 5, 1)).astype(np.uint8)  # 256 values into 16 levels
    write_png(pngs / "c.png", lossy)
    keras_file = f"--model={tmp_path / 'model.keras'}"
    codes, decoded = tmp_path / "codes", tmp_path / "decoded"

    result = run(
        keras_file, f"--input={pngs}/*.png", f"--output={codes}", "--allow_lossy_quantization"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "warning:" in result.stdout and "(lossy)" in result.stdout
    assert "step 3/3 (100%) | bits/dim" in result.stdout
    assert sorted(os.listdir(codes)) == ["a.tpcz", "b.tpcz", "c.tpcz"]

    result = run(keras_file, "--decompress", f"--input={codes}/*.tpcz", f"--output={decoded}")
    assert result.returncode == 0, result.stderr[-2000:]
    originals["c"] = ((lossy // 16) * 17).astype(np.uint8)  # its quantised levels
    for name, pixels in originals.items():
        back = tf.io.decode_png(tf.io.read_file(str(decoded / f"{name}.png"))).numpy()
        np.testing.assert_array_equal(back, pixels)


def test_data_errors_print_one_line_not_the_usage(tmp_path):
    """The probe: every error printed the whole --help first. A corrupted .tpcz and a glob
    that matches nothing are data errors: one line naming the file, exit status 1."""
    model = tpc.GatedPixelCNN((4, 5, 1), num_layers=2, filters=4, kernel_size=3, num_levels=16)
    model.save(tmp_path / "model.keras")
    codes = tmp_path / "codes"
    codes.mkdir()
    images = np.random.default_rng(1).integers(0, 16, (1, 4, 5, 1))
    data = bytearray(tpc.compression.compress(model, images))
    (codes / "a.tpcz").write_bytes(bytes(data))
    data[7] ^= 0x01  # batch 1 -> 257 (the probe flipped byte 9: 16,777,217 images)
    (codes / "b.tpcz").write_bytes(bytes(data))
    keras_file = f"--model={tmp_path / 'model.keras'}"
    output = f"--output={tmp_path / 'decoded'}"

    result = run(keras_file, "--decompress", f"--input={codes}/*.tpcz", output)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith(f"compress.py: error: {codes / 'b.tpcz'}: Corrupted data")
    assert "batch=257" in lines[0] and "(1 files before it were written)" in lines[0]
    assert os.listdir(tmp_path / "decoded") == ["a.png"]

    result = run(keras_file, f"--input={tmp_path}/none/*.png", output)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"compress.py: error: no files match --input='{tmp_path}/none/*.png'."
    )
