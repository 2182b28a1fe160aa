"""launch/train.py with the code-prior configs (configs/codes_*.py), with few steps."""

import json

import numpy as np
import tensorflow as tf

from tests.launch import training_runs as runs
from tf_pixelcnn.data import code_grids

K = 64  # fewer codes than the configs' 512: the k-means fit takes about a second


def test_code_prior_config_trains_evaluates_and_samples(tmp_path):
    workdir, cache = tmp_path / "codes", tmp_path / "cache"
    result = runs.run_ok(
        [
            runs.sys.executable,
            "launch/train.py",
            "--config=launch/configs/codes_photo_patches.py",
            f"--workdir={workdir}",
            f"--config.data.data_dir={cache}",
            f"--config.data.num_levels={K}",
            "--config.train.num_steps=100",
            "--config.train.log_every=50",
            "--config.train.polyak_decay=0.0",  # no average: it would still be near init
            "--config.train.eval_every=0",
            "--config.train.num_samples=4",
            "--config.export.enabled=False",
        ],
        timeout=300,
    )
    assert "step 100/100 (100%)" in result.stdout
    grids = code_grids.read_code_grids(str(cache / f"photo_patches_k{K}_p4_seed0"))
    counts = np.bincount(grids.codes["train"].ravel(), minlength=K) + 1.0
    frequencies = counts / counts.sum()
    unigram = -np.mean(np.log2(frequencies[grids.codes["test"].ravel()]))
    results = json.loads((workdir / "results.json").read_text())
    # bits per code: below uniform (log2 64 = 6) and the unigram of the train codes
    assert results["test_bits_per_dim"] < unigram < np.log2(K)
    png = (workdir / "samples.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    picture = tf.io.decode_png(png).numpy()  # the codes decoded to their 4×4 patches:
    assert picture.shape[-1] == 3 and picture.shape[0] >= 2 * 16  # 2 rows of 16×16×3
    assert len(np.unique(picture)) > 16  # photo colours, not K gray levels
    model_config = json.loads((workdir / "model.json").read_text())
    assert model_config["class_name"] == "CodePixelCNN"
