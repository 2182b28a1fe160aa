"""Ablations of the Gated PixelCNN (softmax) on real photos: what moves its test bits/dim.

    python benchmarks/quality_ablations.py [--budgets=250] [--ablations=head_1x,...]
        [--output_dir=/tmp/tf_pixelcnn_benchmarks]

The baseline is `quality.py`'s `gated` model (its flags: `--num_layers`, `--kernel_size`,
`--gated_filters`, `--gated_output_filters`, `--learning_rate`, `--batch_size`, `--seed`),
trained on the same batches in the same order for the smallest of `--budgets` steps; each
ablation changes one thing:

- head width: the hidden 1×1 of the output head at 1× and 4× the filters (baseline: 6×);
- first layer: a 7×7 mask "A" block (baseline 3×3);
- depth vs receptive field: 12 layers of 3×3; 8 layers of 5×5 (baseline 8 of 3×3);
- the σ gate's bias at initialisation: +1 and −1 in every block (baseline 0);
- initialisation: every residual block's output 1×1 at zero (each block starts as the
  identity); the head's last 1×1 at zero (uniform predictions at step 0);
- learning rate: 1e-3 and 4e-3 (baseline 2e-3); 50 steps of linear warm-up;
- Polyak averaging: the baseline run's weight averages (`--polyak_decays` when it ran:
  0.98 and 0.99, not debiased: the library's `WeightAverage`) evaluated in place of its
  weights; the averages that every run evaluated are also columns of the table;
- seed: the baseline with another seed (initial weights and batch order): the noise floor.

Runs are shared with `quality.py` through `<output_dir>/quality_runs/`. Writes
`quality_ablations.json` and `quality_ablations.md`.
"""

import dataclasses

import quality  # benchmarks/quality.py, next to this script: its flags and runs
from absl import app, flags
from report import write_report

_ABLATIONS = flags.DEFINE_list("ablations", None, "Only these ablations (ABLATIONS keys).")

# name: (what changes, the setting, changes to the model's kwargs, changes to the run).
ABLATIONS = {
    "baseline": ("baseline", "", {}, {}),
    "head_1x": ("head width", "output_filters = filters", {"output_filters": 1}, {}),
    "head_4x": ("head width", "output_filters = 4 × filters", {"output_filters": 4}, {}),
    "first_kernel_7": ("first-layer kernel", "7×7", {"first_kernel_size": 7}, {}),
    "layers_12": ("depth vs receptive field", "12 layers × 3×3", {"num_layers": 12}, {}),
    "kernel_5": ("depth vs receptive field", "8 layers × 5×5", {"kernel_size": 5}, {}),
    "gate_bias_plus_1": ("σ gate bias at init", "+1", {}, {"gate_bias": 1.0}),
    "gate_bias_minus_1": ("σ gate bias at init", "−1", {}, {"gate_bias": -1.0}),
    "zero_residual": (
        "1×1 initialisation",
        "residual output 1×1 = 0 (blocks start as identity)",
        {},
        {"zero_residual_output": True},
    ),
    "zero_logits": ("1×1 initialisation", "head's logits 1×1 = 0", {}, {"zero_logits": True}),
    "lr_1e-3": ("learning rate", "1e-3", {}, {"learning_rate": 1e-3}),
    "lr_4e-3": ("learning rate", "4e-3", {}, {"learning_rate": 4e-3}),
    "warmup_50": ("warm-up", "50 linear steps", {}, {"warmup_steps": 50}),
    "seed_1": ("seed (noise floor)", "seed 1", {}, {"seed": 1}),
}


def ablated_config(name: str) -> quality.RunConfig:
    _, _, model_changes, run_changes = ABLATIONS[name]
    base = quality.run_config("gated")
    kwargs = dict(base.model_kwargs)
    for key, value in model_changes.items():
        # head widths are multiples of the filters
        kwargs[key] = value * kwargs["filters"] if key == "output_filters" else value
    return dataclasses.replace(base, model_kwargs=tuple(sorted(kwargs.items())), **run_changes)


def rows_of(name: str, result: dict, steps: int, test_names: list[str]) -> list[tuple]:
    """(what, setting, params, {column: bpd}, s/step) of a run; the baseline adds a row per
    weight average it evaluated (its columns: the test sets)."""
    what, setting, _, _ = ABLATIONS[name]
    evaluation = quality.evaluation_at(result, steps)
    config = result["config"]
    kwargs = dict(config["model_kwargs"])
    if name == "baseline":
        setting = (f"{kwargs['num_layers']} layers × {kwargs['kernel_size']}×"
                   f"{kwargs['kernel_size']}, {kwargs['filters']} filters, head "
                   f"{kwargs['output_filters'] or kwargs['filters']}, "
                   f"Adam {config['learning_rate']:g}")  # fmt: skip
    seconds = evaluation["train_seconds_per_step"]
    rows = [(what, setting, result["parameters"], evaluation, seconds)]
    if name == "baseline":  # the weight averages its run evaluated
        decays = [k.split(" polyak ")[1] for k in evaluation if k.startswith(f"{test_names[0]} ")]
        for decay in decays:
            averaged = {t: evaluation[f"{t} polyak {decay}"] for t in test_names}
            rows.append(("Polyak averaging", f"decay {decay}", result["parameters"], averaged,
                         seconds))  # fmt: skip
    return rows


def main(argv):
    del argv
    steps = min(int(b) for b in quality._BUDGETS.value)
    data = quality.load_data()
    test_names = list(data[1])
    names = ["baseline"] + [n for n in (_ABLATIONS.value or ABLATIONS) if n != "baseline"]
    unknown = sorted(set(names) - set(ABLATIONS))
    if unknown:
        raise ValueError(f"Unknown ablations {unknown}; expected some of {sorted(ABLATIONS)}.")
    runs = [rows_of(n, quality.cached_run(ablated_config(n), [steps], data), steps, test_names)
            for n in names]  # fmt: skip
    # The test sets, then the weight averages every ablation run evaluated.
    shared = set.intersection(*(set(rows[0][3]) for rows in runs))
    columns = [c for t in test_names for c in sorted(shared) if c.split(" polyak ")[0] == t]
    rows = [row for rows in runs for row in rows]
    reference = rows[0][3]
    header = " | ".join(f"{c} bits/dim (Δ vs baseline)" for c in columns)
    train_header = "train bits/dim (last 100 steps) | train s/step"
    lines = [
        f"| ablation | setting | stored params | {header} | {train_header} |",
        "|---|---|---|" + "---|" * len(columns) + "---|---|",
    ]
    for what, setting, parameters, bpd, seconds in rows:
        cells = " | ".join(
            f"{bpd[c]:.3f} ({100 * (bpd[c] / reference[c] - 1):+.1f}%)" if c in bpd else "—"
            for c in columns
        )
        train = f"{bpd['train_bpd_last_100']:.3f}" if "train_bpd_last_100" in bpd else "—"
        lines.append(
            f"| {what} | {setting} | {parameters:,} | {cells} | {train} | {seconds:.3f} |"
        )
    lines.append(
        f"\n{steps:,} steps each, batch {quality._BATCH.value}, the same batches in the same "
        "order (except the seed row); train s/step is wall time on a shared machine (load "
        "varies between runs); one run per row, one machine (CPU)."
    )
    json_rows = [dict(ablation=w, setting=s, parameters=p, seconds_per_step=sec, steps=steps,
                      **{f"{c} bits/dim": b[c] for c in columns if c in b})
                 for w, s, p, b, sec in rows]  # fmt: skip
    write_report(quality._OUTPUT_DIR.value, "quality_ablations", json_rows, "\n".join(lines))


if __name__ == "__main__":
    app.run(main)
