"""Likelihood-ratio outlier scoring: a model, its background model and one SavedModel.

    workdir/               the model's run (train_and_evaluate), as any run
    workdir/background/    the background model's run: the same config, trained on
                           inputs perturbed at `likelihood_ratio.perturbation_rate`
    workdir/score_export/<version>/
                           one SavedModel with both (float32 copies): `score` =
                           log p_model(x) − log p_background(x) and `log_prob`

score(x) = log p_θ(x) − log p_θ0(x) (Ren et al. 2019, eq. 5): raw likelihoods of deep
generative models are dominated by population-level statistics (e.g. the number of
background pixels), so simple out-of-distribution images can be more likely than the
training data; the background model θ0, trained on inputs whose sub-pixels are each
replaced with probability μ by a uniform level, captures those statistics and the ratio
cancels them. A low score flags an outlier.

Each run is resumable as any run (a killed run restarted with the same config continues
where it stopped, then the other one runs). A rerun of a finished pair writes nothing:
both runs only evaluate, and the export is skipped when the newest version under
`score_export/` was written from the same two checkpoints. A new version is written
whenever either model was (re)trained in this call, or no version holds the pair yet (a
run stopped between training and export).
"""

import copy
import os
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from tf_pixelcnn.data.perturbation import check_perturbation_rate
from tf_pixelcnn.serving import versioned_directory
from tf_pixelcnn.serving.likelihood_ratio_export import (
    export_likelihood_ratio,
    read_export_metadata,
)
from tf_pixelcnn.training import run_outputs
from tf_pixelcnn.training.strategies import chief_by_tf_config
from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate

BACKGROUND_DIRECTORY = "background"
SCORE_EXPORT_DIRECTORY = "score_export"
# Ren et al. choose μ in [0.1, 0.3] on validation data; 0.2 is the middle of that range
# (benchmarks/outliers.py compares rates on the digits).
DEFAULT_PERTURBATION_RATE = 0.2


def background_config(config: Mapping[str, Any], perturbation_rate: float) -> Dict[str, Any]:
    """The background model's config: `config` with `data.perturbation_rate` set, without
    the `likelihood_ratio` section and without its own export (the score export holds it).

    Args:
        config: The nested dict of a `launch/configs` config (the model's).
        perturbation_rate: μ, the probability that a training sub-pixel is replaced by a
            uniform level.
    """
    background = copy.deepcopy(dict(config))
    background.pop("likelihood_ratio", None)
    background["data"] = {
        **background["data"],
        "perturbation_rate": check_perturbation_rate(perturbation_rate),
    }
    background["export"] = {**background.get("export", {}), "enabled": False}
    return background


def perturbation_rate_of(config: Mapping[str, Any]) -> float:
    """`config["likelihood_ratio"]["perturbation_rate"]` (default 0.2), checked."""
    section = config.get("likelihood_ratio") or {}
    rate = section.get("perturbation_rate")
    rate = check_perturbation_rate(DEFAULT_PERTURBATION_RATE if rate is None else rate)
    if rate <= 0.0:
        raise ValueError(
            "likelihood_ratio.perturbation_rate must be above 0: the background model "
            f"would be the model itself. Received: perturbation_rate={rate}."
        )
    if float(config["data"].get("perturbation_rate") or 0.0):
        raise ValueError(
            "data.perturbation_rate perturbs the model's own training data; with "
            "likelihood_ratio.enabled set likelihood_ratio.perturbation_rate instead. "
            f"Received: data.perturbation_rate={config['data']['perturbation_rate']}."
        )
    return rate


def train_likelihood_ratio(
    config: Mapping[str, Any], workdir: str, say: Callable[[str], None] = print
) -> Dict[str, Any]:
    """Trains the model of `config` in `workdir` and its background model in
    `workdir/background/` (each resuming from its newest checkpoint), then writes the
    `score` SavedModel under `workdir/score_export/` (chief only; skipped when the newest
    version holds the same two checkpoints).

    Args:
        config: The nested dict of a config with a `likelihood_ratio` section
            (`perturbation_rate`: μ in (0, 1], default 0.2).
        workdir: The model's run directory (any `tf.io.gfile` filesystem).
        say: Where progress lines go (the chief's console).

    Returns:
        `{"model": results, "background": results, "perturbation_rate": μ,
        "score_export": path or None, "score_export_written": bool}`, where each results
        dict is `train_and_evaluate`'s.

    Raises:
        ValueError: μ outside (0, 1], a non-zero `data.perturbation_rate` on the model,
            or `strategy="multi_worker"` (the message gives the two-launch workaround).

    Example:
        >>> results = train_likelihood_ratio(config, "/tmp/digits_outliers")
        >>> results["score_export"]
        '/tmp/digits_outliers/score_export/1'

    References:
        Ren et al., "Likelihood Ratios for Out-of-Distribution Detection", NeurIPS 2019.
    """
    rate = perturbation_rate_of(config)
    _check_single_process(config, workdir, rate)
    chief = chief_by_tf_config()
    background_workdir = os.path.join(workdir, BACKGROUND_DIRECTORY)
    model_results = train_and_evaluate(config, workdir)
    if chief:
        say(f"Background model (inputs perturbed at rate {rate}): {background_workdir}")
    background_results = train_and_evaluate(background_config(config, rate), background_workdir)
    results = {
        "model": model_results,
        "background": background_results,
        "perturbation_rate": rate,
        "score_export": None,
        "score_export_written": False,
    }
    if chief:
        path, written = _export_trained_pair(
            config, workdir, rate, model_results, background_results, say
        )
        results.update(score_export=path, score_export_written=written)
    return results


def _check_single_process(config: Mapping[str, Any], workdir: str, rate: float) -> None:
    """Refuses `strategy="multi_worker"`, naming the two-launch workaround."""
    if config.get("strategy") == "multi_worker":
        raise ValueError(
            "train_likelihood_ratio trains two models in one process, and a second "
            "MultiWorkerMirroredStrategy in a process fails in its collective ops. Train "
            "them as two multi-worker launches (likelihood_ratio.enabled=False; the model "
            f"in {workdir}, the background with data.perturbation_rate={rate} in "
            f"{os.path.join(workdir, BACKGROUND_DIRECTORY)}), then run this config once "
            "with strategy='default': both runs are finished, so it only evaluates them "
            "and writes the score export. Received: strategy='multi_worker'."
        )


def _export_trained_pair(config, workdir, rate, model_results, background_results, say):
    """`export_score_model` of the two runs' checkpoints, forced when either run trained."""
    # A finished run only evaluates and says so with "test_bits_per_dim_now".
    trained = any("test_bits_per_dim_now" not in run for run in (model_results, background_results))
    return export_score_model(
        workdir,
        model_results["model_checkpoint"],
        background_results["model_checkpoint"],
        rate,
        max_batch=(config.get("export") or {}).get("max_batch") or None,
        say=say,
        force=trained,
    )


def export_score_model(
    workdir: str,
    model_checkpoint: str,
    background_checkpoint: str,
    perturbation_rate: float,
    max_batch: Optional[int] = None,
    say: Callable[[str], None] = print,
    force: bool = False,
) -> Tuple[str, bool]:
    """The next version of `workdir/score_export/` from the two checkpoints (Polyak
    averages where the runs keep them, as their own model.keras), unless the newest
    version was written from the same checkpoints and not `force` (a checkpoint path
    names a step, not weights: a model retrained from scratch reuses the names).

    Returns:
        `(path of the version, whether it was written now)`.
    """
    background_workdir = os.path.join(workdir, BACKGROUND_DIRECTORY)
    export_base = os.path.join(workdir, SCORE_EXPORT_DIRECTORY)
    source = {
        "perturbation_rate": perturbation_rate,
        "model_checkpoint": _relative(model_checkpoint, workdir),
        "background_checkpoint": _relative(background_checkpoint, background_workdir),
    }
    versions = versioned_directory.existing_versions(export_base)
    if versions and not force:
        newest = os.path.join(export_base, str(versions[-1]))
        metadata = read_export_metadata(newest) or {}
        if metadata.get("likelihood_ratio") == source:
            say(f"Score SavedModel of these checkpoints: {newest} (nothing written)")
            return newest, False
    say("exporting the score SavedModel (model and background model)...")
    model = run_outputs.final_model(workdir, model_checkpoint)
    background = run_outputs.final_model(background_workdir, background_checkpoint)
    path = export_likelihood_ratio(
        model, background, export_base, max_batch=max_batch, metadata=source
    )
    say(f"Score SavedModel: {path}")
    return path, True


def _relative(checkpoint: str, workdir: str) -> str:
    """`checkpoint` relative to `workdir` (the workdir may be moved or mounted elsewhere)."""
    prefix = workdir.rstrip("/") + "/"
    return checkpoint[len(prefix) :] if checkpoint.startswith(prefix) else checkpoint


__all__ = [
    "BACKGROUND_DIRECTORY",
    "DEFAULT_PERTURBATION_RATE",
    "SCORE_EXPORT_DIRECTORY",
    "background_config",
    "export_score_model",
    "perturbation_rate_of",
    "train_likelihood_ratio",
]
