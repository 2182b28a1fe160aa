"""The output head's hidden width, `output_filters`, of every model with a head.

`output_filters` is one of
- an int ≥ channels: the width of the head's hidden 1×1 layer;
- None (the default): `default_head_width(filters, outputs per pixel)`, resolved when the
  model is built and saved as that int;
- `STACK_WIDTH` (`"filters"`): as wide as the stacks. Models saved before `output_filters`
  existed had this width; a saved config without the entry loads as `STACK_WIDTH` and is
  saved without it again, so their `.keras` files, workdirs, checkpoints and compressed
  data keep loading with the same weights and config digest.

Why wider than the stacks: a 256-level RGB softmax predicts 768 logits per pixel; with a
head as wide as a 32- or 64-filter stack that is about 10–20 hidden maps per colour. The
PixelRNN paper's CIFAR-10 and ImageNet models use 1,024-wide output layers (van den Oord
et al. 2016a, §5 and Table 4); on real photos a head of 192–256 maps beat one as wide as
the stacks by 4–10% test bits/dim at 32 and 64 filters (README, "Ablations").
"""

from typing import Any, Dict, Mapping, Optional, Union

import numpy as np

STACK_WIDTH = "filters"
MAX_DEFAULT_HEAD_WIDTH = 256

OutputFilters = Union[int, str, None]


def default_head_width(filters: int, outputs_per_pixel: int) -> int:
    """`max(filters, min(256, outputs_per_pixel))`: a 256-level RGB softmax (768 outputs)
    or a large code book gets 256 hidden maps, a head with few outputs (binary images, a
    small mixture) stays as wide as the stacks, and a stack wider than 256 keeps its width.

    Part of the saved-file format: Grayscale and Pyramid PixelCNNs save `output_filters:
    None` ("each factor's default"), so changing this rule changes the models their files
    describe (tests/models/test_head_width.py pins it).
    """
    return max(filters, min(MAX_DEFAULT_HEAD_WIDTH, outputs_per_pixel))


def check_output_filters(output_filters: OutputFilters, channels: int) -> None:
    """An int ≥ `channels` (one hidden map per colour group at least; numpy ints too),
    None or `STACK_WIDTH`; anything else raises ValueError saying what was received."""
    if output_filters is None or (
        isinstance(output_filters, str) and output_filters == STACK_WIDTH
    ):
        return
    if isinstance(output_filters, (bool, np.bool_)) or not isinstance(
        output_filters, (int, np.integer)
    ):
        raise ValueError(
            f"output_filters must be an int, None (the default width) or {STACK_WIDTH!r} "
            f"(as wide as the stacks). Received: output_filters={output_filters!r}."
        )
    if output_filters < channels:
        raise ValueError(
            "output_filters must be >= channels so every colour group has a hidden map of "
            f"the output head. Received: output_filters={output_filters}, channels={channels}."
        )


def resolve_output_filters(
    output_filters: OutputFilters, filters: int, outputs_per_pixel: int
) -> Union[int, str]:
    """The value a model keeps and saves: None → `default_head_width`; an int (a Python
    int, so the config serialises) or `STACK_WIDTH` as given."""
    if output_filters is None:
        return default_head_width(filters, outputs_per_pixel)
    if isinstance(output_filters, str):
        return output_filters
    return int(output_filters)


def head_width(output_filters: Union[int, str], filters: int) -> int:
    """The hidden width of a resolved `output_filters` (`STACK_WIDTH` → `filters`)."""
    return filters if output_filters == STACK_WIDTH else output_filters


def head_config(
    first_kernel_size: Optional[int], output_filters: OutputFilters
) -> Dict[str, Any]:
    """The config entries of the head options: `first_kernel_size` when set,
    `output_filters` unless it is `STACK_WIDTH` — a model of the width before the option
    existed keeps the config (and the compressed-data config digest) it had then."""
    entries = {"first_kernel_size": first_kernel_size}
    if output_filters != STACK_WIDTH:
        entries["output_filters"] = output_filters
    return {name: value for name, value in entries.items() if value is not None}


class SavedHeadWidth:
    """Mixin for Keras models with `output_filters`: a config saved before the option
    existed (no `output_filters` entry) loads with the width it was saved with,
    `STACK_WIDTH`, instead of today's default."""

    @classmethod
    def saved_without_head_width(cls, config: Mapping[str, Any]) -> bool:
        """Whether `config` predates `output_filters`."""
        return "output_filters" not in config

    @classmethod
    def from_config(cls, config, *args, **kwargs):
        if cls.saved_without_head_width(config):
            config = {**config, "output_filters": STACK_WIDTH}
        return super().from_config(config, *args, **kwargs)
