"""Likelihood-ratio outlier scoring on the offline digits (Ren et al. 2019): the demo's
Gated PixelCNN, unconditional, in workdir/ and its background model, trained on digits
whose sub-pixels are each replaced with probability 0.2 by a uniform level, in
workdir/background/; then workdir/score_export/<version>/ with the `score` signature.
~3 minutes on 2 CPU cores. benchmarks/outliers.py measures the AUROC it gives."""

from configs import demo


def get_config():
    config = demo.get_config()
    config.model.class_conditional = False  # p(x): outliers have no label to condition on
    config.train.num_samples = 64
    config.likelihood_ratio.enabled = True
    # μ: Ren et al. choose it in [0.1, 0.3] on validation data; see benchmarks/outliers.py.
    config.likelihood_ratio.perturbation_rate = 0.2
    return config
