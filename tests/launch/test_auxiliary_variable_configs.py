"""The README's Grayscale and Pyramid PixelCNN commands (fewer steps): train, evaluate per
factor / resolution, sample, export with `sample_given`; one factor alone; two replicas."""

import json

import keras
import numpy as np

import tf_pixelcnn  # noqa: F401 (registers the model classes for load_model)
from tests.launch import training_runs as runs

PYRAMID = ("--config=launch/configs/digits_pyramid.py", "--config.train.log_every=10")


def _train(workdir, *overrides, config=PYRAMID, timeout=600):
    command = [runs.sys.executable, "launch/train.py", f"--workdir={workdir}", *config]
    return runs.run_ok([*command, *overrides], timeout=timeout)


def test_pyramid_trains_evaluates_per_resolution_samples_and_exports(tmp_path):
    workdir = tmp_path / "pyramid"
    result = _train(workdir, "--config.train.num_steps=40", "--config.train.num_samples=16")
    assert "step 40: test bits/dim" in result.stdout and ", 2x2 " in result.stdout
    results = json.loads((workdir / "results.json").read_text())
    by_resolution = results["test_bits_per_dim_by_factor"]
    assert sorted(by_resolution) == ["2x2", "4x4", "8x8"]
    assert by_resolution["8x8"] == results["test_bits_per_dim"] < 4.0  # uniform: 4.09
    metadata = json.loads((workdir / "export/1/assets.extra/tf_pixelcnn.json").read_text())
    assert "sample_given" in metadata["signatures"] and metadata["auxiliary_shape"] == [4, 4, 1]
    evaluated = runs.run_ok(
        [runs.sys.executable, "launch/evaluate.py", f"--workdir={workdir}"], timeout=300
    )
    assert f"{results['test_bits_per_dim']:.4f}" in evaluated.stdout
    grid = tmp_path / "map.png"
    runs.run_ok(
        [runs.sys.executable, "launch/sample.py", f"--model={workdir}/model.keras",
         f"--output={grid}", "--rows=2", "--samples_per_row=4", "--mixture_mode=map"],
        timeout=300,
    )  # fmt: skip
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_levels_train_alone_also_on_two_replicas_matching_one_device(tmp_path):
    steps = ("--config.train.num_steps=8", "--config.train.num_samples=0",
             "--config.train.polyak_decay=0.0", "--config.export.enabled=false")  # fmt: skip
    _train(tmp_path / "a", *steps, "--config.train.factors=4x4")
    _train(tmp_path / "b", *steps, "--config.train.factors=8x8")
    two = _train(tmp_path / "b2", *steps, "--config.train.factors=8x8",
                 "--config.strategy=mirrored", "--config.num_cpu_devices=2")  # fmt: skip
    assert "2 replica(s)" in two.stdout
    a, b = (keras.saving.load_model(tmp_path / name / "model.keras") for name in "ab")
    # Same seed, same initial weights: the 2x2 level, which neither run trains, is still
    # equal; each other level is trained by one run only, so it differs.
    for level, trained in ((0, False), (1, True), (2, True)):
        pairs = zip(a.levels[level].weights, b.levels[level].weights)
        same = all(np.array_equal(x.numpy(), y.numpy()) for x, y in pairs)
        assert same != trained, level
    one_weights, two_weights = (runs.final_weights(tmp_path / n) for n in ("b", "b2"))
    assert runs.max_difference(one_weights, two_weights) < 1e-5

    # Combine the separately trained levels into one model and evaluate it.
    combined = tmp_path / "combined.keras"
    factors = [f"--factor=2x2={tmp_path}/a/model.keras", f"--factor=4x4={tmp_path}/a/model.keras"]
    tool = [runs.sys.executable, "launch/combine_factors.py", f"--output={combined}"]
    missing = runs.run([*tool, *factors], timeout=300)
    assert missing.returncode != 0 and "Give every factor" in missing.stderr
    assert not combined.exists()
    runs.run_ok([*tool, *factors, f"--factor=8x8={tmp_path}/b/model.keras"], timeout=300)
    model = keras.saving.load_model(combined)
    for level, source in ((1, a), (2, b)):
        for x, y in zip(model.levels[level].weights, source.levels[level].weights):
            np.testing.assert_array_equal(x.numpy(), y.numpy())
    evaluated = runs.run_ok(
        [runs.sys.executable, "launch/evaluate.py", f"--workdir={tmp_path}/b",
         f"--model={combined}"],
        timeout=300,
    )  # fmt: skip
    result = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert sorted(result["test_bits_per_dim_by_factor"]) == ["2x2", "4x4", "8x8"]
    assert np.isfinite(result["test_bits_per_dim"])


def test_grayscale_trains_per_factor_and_exports_sample_given(tmp_path):
    workdir = tmp_path / "grayscale"
    result = _train(
        workdir, "--config.train.num_steps=20", "--config.train.num_samples=4",
        "--config.eval.global_batch_size=350",
        config=("--config=launch/configs/photo_patches_grayscale.py",),
    )  # fmt: skip
    assert "grayscale " in result.stdout and "colour " in result.stdout
    results = json.loads((workdir / "results.json").read_text())
    assert sorted(results["test_bits_per_dim_by_factor"]) == ["colour", "grayscale"]
    bits = results["test_bits_per_dim"]  # 20 steps: near uniform (8 bits/dim), finite
    assert np.isfinite(bits) and 4.0 < bits < 10.0
    metadata = json.loads((workdir / "export/1/assets.extra/tf_pixelcnn.json").read_text())
    assert metadata["auxiliary_shape"] == [16, 16, 1] and "sample_given" in metadata["signatures"]
