"""Outlier detection on the offline data: raw likelihood vs likelihood ratio (AUROC).

    python benchmarks/outliers.py [--train_steps=300] [--perturbation_rates=0.1,0.2,0.3]
        [--workdir=DIR] [--likelihood_ratio_workdir=DIR] [--output_dir=/tmp/...]

In-distribution: the digits test split (359 images, 8×8, 17 levels). Out-of-distribution
sets, each scored by the same models:

- photo patches: the `photo_patches` test split (350 colour 16×16 patches of two
  photographs) as the pipeline makes them for an 8×8 grayscale 17-level model
  (`make_dataset(..., image_size=(8, 8), resize_images=True, grayscale=True,
  num_levels=17)`: area resize, BT.601 luma, equal-width bins);
- uniform noise: 359 images of independent uniform levels;
- flipped digits: the test digits upside down (rows reversed) and mirrored (columns
  reversed). Some digits (0, 1, 8) are nearly symmetric, so these are the hard sets.

Models: the demo-sized unconditional Gated PixelCNN of `launch/configs/digits_outliers.py`
trained here for `--train_steps` steps on the clean digits, and one background model
per `--perturbation_rates` entry μ (the same config, training inputs perturbed at μ),
all with `train_and_evaluate` in `--workdir` (model/, background_<μ>/; a rerun with the
same `--workdir` reuses finished runs). Or the model and background of a finished
`launch/train.py --config=launch/configs/digits_outliers.py` run
(`--likelihood_ratio_workdir`).

AUROC: outliers are the positive class; the raw-likelihood detector flags low
log p_model(x), the likelihood-ratio detector low log p_model(x) − log p_background(x)
(Ren et al. 2019). 0.5 is chance; below 0.5 the detector ranks the outliers as *more*
in-distribution than the test digits.

Writes `outliers.json` and `outliers.md`.
"""

import json
import math
import os
import pathlib
import sys
import tempfile
import time

from absl import app
from absl import flags
import numpy as np
import sklearn.metrics

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "launch"))

import console  # noqa: E402  (launch/console.py: --verbose, quiet TensorFlow logs)

with console.quiet_tensorflow_import():
    from configs import digits_outliers  # launch/configs
    from report import write_report  # benchmarks/report.py, next to this script
    from tf_pixelcnn.data.pipeline import make_dataset
    from tf_pixelcnn.training import likelihood_ratio
    from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate
    from tf_pixelcnn.training.workdir_model import restore_from_workdir

_STEPS = flags.DEFINE_integer("train_steps", 300, "Training steps of every model.")
_RATES = flags.DEFINE_list(
    "perturbation_rates", ["0.1", "0.2", "0.3"], "μ of the background models (one per rate)."
)
_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Where the models are trained (default: a new temporary directory)."
)
_LR_WORKDIR = flags.DEFINE_string(
    "likelihood_ratio_workdir",
    None,
    "A finished launch/train.py likelihood-ratio run: its model and background model.",
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")

LEVELS = 17
BATCH = 512


def pipeline_images(dataset: str, **kwargs) -> np.ndarray:
    """The test split as the input pipeline yields it for an 8×8, 17-level model."""
    images = []
    for batch in make_dataset(
        dataset, "test", global_batch_size=BATCH, training=False, num_levels=LEVELS, **kwargs
    ):
        keep = batch["weight"].numpy() > 0  # drop the padding of the last batch
        images.append(batch["image"].numpy()[keep])
    return np.concatenate(images).astype(np.int32)


def evaluation_sets():
    digits = pipeline_images("digits")
    photos = pipeline_images("photo_patches", image_size=(8, 8), resize_images=True, grayscale=True)
    noise = np.random.default_rng(0).integers(0, LEVELS, digits.shape).astype(np.int32)
    outliers = {
        "photo patches (8×8 gray)": photos,
        "uniform noise": noise,
        "digits upside down": digits[:, ::-1].copy(),
        "digits mirrored": digits[:, :, ::-1].copy(),
    }
    return digits, outliers


def model_config(num_steps: int) -> dict:
    config = json.loads(json.dumps(digits_outliers.get_config().to_dict(), default=list))
    config["train"].update(num_steps=num_steps, eval_every=0, sample_every=0, num_samples=0)
    config["export"]["enabled"] = False
    config.pop("likelihood_ratio")
    return config


def train_models(workdir: str, rates):
    """`(model workdir, {μ: background workdir})`, trained (or finished) here."""
    config = model_config(_STEPS.value)
    runs = {"model": (config, os.path.join(workdir, "model"))}
    for rate in rates:
        background = likelihood_ratio.background_config(config, rate)
        runs[rate] = (background, os.path.join(workdir, f"background_{rate}"))
    for name, (run_config, run_workdir) in runs.items():
        what = "model" if name == "model" else f"background model, μ={name}"
        print(f"The {what} ({_STEPS.value} steps) in {run_workdir}", flush=True)
        start = time.monotonic()
        results = train_and_evaluate(run_config, run_workdir)  # a finished run: evaluated
        done = "evaluated the finished run" if "test_bits_per_dim_now" in results else "trained"
        print(f"  {done} in {time.monotonic() - start:.0f} s", flush=True)
    return runs["model"][1], {rate: runs[rate][1] for rate in rates}


def log_probs(model, images: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [model.log_prob(images[i : i + BATCH]).numpy() for i in range(0, len(images), BATCH)]
    )


def auroc(inlier_scores: np.ndarray, outlier_scores: np.ndarray) -> float:
    """P(an outlier scores lower than an inlier) (ties count half): outliers positive,
    flagged by a low score."""
    labels = np.concatenate([np.zeros(len(inlier_scores)), np.ones(len(outlier_scores))])
    return float(
        sklearn.metrics.roc_auc_score(labels, -np.concatenate([inlier_scores, outlier_scores]))
    )


def bits_per_dim(log_p: np.ndarray) -> float:
    return float(-np.mean(log_p) / (64 * math.log(2)))


def models():
    """`(model, {μ: background model}, where they come from)`."""
    if _LR_WORKDIR.value:
        model_dir = _LR_WORKDIR.value
        background_dir = os.path.join(model_dir, likelihood_ratio.BACKGROUND_DIRECTORY)
        with open(os.path.join(background_dir, "config.json")) as f:
            rate = json.load(f)["data"]["perturbation_rate"]
        backgrounds = {rate: background_dir}
        source = f"the run in {model_dir}"
    else:
        rates = [float(rate) for rate in _RATES.value]
        workdir = _WORKDIR.value or tempfile.mkdtemp(prefix="tf_pixelcnn_outliers_")
        model_dir, backgrounds = train_models(workdir, rates)
        source = f"trained here, {_STEPS.value} steps each, in {workdir}"
    model = restore_from_workdir(model_dir)
    return model, {r: restore_from_workdir(p) for r, p in backgrounds.items()}, source


def main(argv):
    del argv
    console.quiet_logs()
    model, backgrounds, source = models()
    rates = sorted(backgrounds)
    digits, outliers = evaluation_sets()
    sets = {"digits (test, in-distribution)": digits, **outliers}
    log_p = {name: log_probs(model, images) for name, images in sets.items()}
    log_p0 = {
        name: {rate: log_probs(background, images) for rate, background in backgrounds.items()}
        for name, images in sets.items()
    }
    inlier = "digits (test, in-distribution)"

    results = {"source": source, "perturbation_rates": rates, "sets": {}}
    auroc_table = [
        "| set | images | AUROC raw likelihood |"
        + "".join(f" AUROC likelihood ratio μ={rate} |" for rate in rates),
        "|---" * (3 + len(rates)) + "|",
    ]
    bits_table = [
        "| set | bits/dim model |" + "".join(f" bits/dim background μ={r} |" for r in rates),
        "|---" * (2 + len(rates)) + "|",
    ]
    for name, images in sets.items():
        row = {
            "images": len(images),
            "bits_per_dim": bits_per_dim(log_p[name]),
            "background_bits_per_dim": {str(r): bits_per_dim(log_p0[name][r]) for r in rates},
        }
        bits_table.append(
            f"| {name} | {row['bits_per_dim']:.3f} | "
            + " | ".join(f"{row['background_bits_per_dim'][str(r)]:.3f}" for r in rates)
            + " |"
        )
        if name != inlier:
            row["auroc_log_prob"] = auroc(log_p[inlier], log_p[name])
            row["auroc_likelihood_ratio"] = {
                str(r): auroc(log_p[inlier] - log_p0[inlier][r], log_p[name] - log_p0[name][r])
                for r in rates
            }
            cells = [f"{row['auroc_log_prob']:.3f}"]
            cells += [f"{row['auroc_likelihood_ratio'][str(r)]:.3f}" for r in rates]
            auroc_table.append(f"| {name} | {len(images)} | " + " | ".join(cells) + " |")
        results["sets"][name] = row
    means = [np.mean([results["sets"][n]["auroc_log_prob"] for n in outliers])]
    means += [
        np.mean([results["sets"][n]["auroc_likelihood_ratio"][str(r)] for n in outliers])
        for r in rates
    ]
    results["mean_auroc"] = {
        "raw_likelihood": float(means[0]),
        "likelihood_ratio": {str(r): float(m) for r, m in zip(rates, means[1:])},
    }
    auroc_table.append(
        "| mean over the outlier sets | | " + " | ".join(f"{m:.3f}" for m in means) + " |"
    )
    markdown = "\n".join(
        [
            f"Outliers vs the {len(digits)} digits of the test split (AUROC, outliers "
            "positive, flagged by a low score; 0.5 = chance):",
            "",
            *auroc_table,
            "",
            "Bits/dim of each set under each model:",
            "",
            *bits_table,
            "",
            f"Models: the digits_outliers config's Gated PixelCNN (unconditional), {source}.",
        ]
    )
    write_report(_OUTPUT_DIR.value, "outliers", results, markdown)


if __name__ == "__main__":
    app.run(main)
