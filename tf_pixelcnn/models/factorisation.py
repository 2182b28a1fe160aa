"""How a model factorises p(x): the interface every consumer above `models/` reads.

Every model (`GatedPixelCNN`, `PixelCNN`, `PixelCNNAutoencoder`, `GrayscalePixelCNN`,
`PyramidPixelCNN`) says, without its class being looked at:

- `model.factors()`: its `Factor`s in sampling order — the network of each, the
  distribution of a pixel given that network's outputs, and what it is conditioned on —
  with how each factor's images come from the model's images (`values_of`), its condition
  from the factor before it (`condition_from`), the pixels it does not model
  (`known_from`) and the model's images after it (`joined`). A plain model has one factor.
- `model.condition_spec`: what `condition=` it takes (`ConditionSpec`).
- `model.side_information_spec`: side information its images come with (an
  auto-encoder's code: vectors computed from the images by `model.side_information`), or
  None. Its single factor is conditioned on it.
- `model.model_kind`: the name the compressed-data header stores
  (`compression.header.MODEL_KINDS`; part of that format).
- and, as every model has: `image_shape` `(H, W, C)`, `num_levels`, `check_images`; a
  conditional one `checked_condition`; one with side information `reconstruct(images,
  seed)` (its factor sampled given the images' side information).

Samplers, compression and training call these instead of `isinstance`/`hasattr` on the
model's class.
"""

import dataclasses
from typing import Callable, Optional, Tuple

import tensorflow as tf

from tf_pixelcnn.distributions.pixel_distribution import PixelDistribution

CONDITION_KINDS = ("none", "labels", "vectors", "image")


@dataclasses.dataclass(frozen=True)
class ConditionSpec:
    """What a model (or factor) is conditioned on.

    Attributes:
        kind: "none"; "labels" (`int32 [B]` in [0, num_classes)); "vectors"
            (`float32 [B, dim]`); "image" (`int32 [B, *image_shape]` in [0, levels)).
        num_classes: Of "labels".
        dim: Of "vectors".
        image_shape: `(h, w, c)` of "image".
        levels: Values per sub-pixel of "image".
    """

    kind: str = "none"
    num_classes: Optional[int] = None
    dim: Optional[int] = None
    image_shape: Optional[Tuple[int, int, int]] = None
    levels: Optional[int] = None

    def __post_init__(self):
        if self.kind not in CONDITION_KINDS:
            raise ValueError(
                f"ConditionSpec.kind must be one of {CONDITION_KINDS}. Received: {self.kind!r}."
            )
        needed = {"labels": ("num_classes",), "vectors": ("dim",),
                  "image": ("image_shape", "levels"), "none": ()}[self.kind]  # fmt: skip
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"A ConditionSpec of kind {self.kind!r} needs {missing}. Received: {self}."
            )

    @property
    def is_conditional(self) -> bool:
        return self.kind != "none"

    @property
    def tensor_spec(self) -> Optional[tf.TensorSpec]:
        """The canonical dtype and shape of a batch of conditions (None: unconditional)."""
        if self.kind == "labels":
            return tf.TensorSpec([None], tf.int32)
        if self.kind == "vectors":
            return tf.TensorSpec([None, self.dim], tf.float32)
        if self.kind == "image":
            return tf.TensorSpec([None, *self.image_shape], tf.int32)
        return None


NO_CONDITION = ConditionSpec()


def _identity(values):
    return values


def _second(earlier, values):
    del earlier
    return values


@dataclasses.dataclass(frozen=True)
class Factor:
    """One network of a model's factorisation p(x) = Π_f p_f(· | what f conditions on).

    Attributes:
        name: The factor's name (`train.factors`, reports).
        network: The sub-model with its parameters (a `GatedPixelCNN` or `PixelCNN`):
            outputs of its pixels `[B, h, w, ...]` given its condition.
        pixel_distribution: The distribution of one of its pixels given those outputs.
        conditions_on: "nothing"; "condition" (the model's `condition=` or, with
            `side_information_spec`, its side information); or the name of the factor
            before it (whose joined images `condition_from` turns into this condition).
        values_of: The model's integer images `[B, H, W, C]` → this factor's images
            `[batch_multiple·B, h, w, c]` (what it models).
        condition_from: The model's images after the factor before → this factor's
            condition (factors conditioned on an earlier one).
        known_from: The model's images after the factor before → `known(row, column)`,
            the pixels `int [B, c]` of this factor given rather than modelled, or None.
        joined: `(the model's images after the factor before, this factor's images)` → the
            model's images after this factor (the last factor's are the images).
        batch_multiple: Images of this factor per image of the model.
        truncation_levels: With a `TruncatedLogisticMixture`, the levels of the x̂ its
            condition holds (each channel restricted to the values consistent with it).
    """

    name: str
    network: object
    pixel_distribution: PixelDistribution
    conditions_on: str = "nothing"
    values_of: Callable = _identity
    condition_from: Optional[Callable] = None
    known_from: Optional[Callable] = None
    joined: Callable = _second
    batch_multiple: int = 1
    truncation_levels: Optional[int] = None


def single_factor(name: str, network, conditions_on: str = "condition") -> Tuple[Factor]:
    """The one factor of a plain model: `network` over the model's images."""
    return (Factor(name, network, network.pixel_distribution, conditions_on),)


def condition_spec_of(model) -> ConditionSpec:
    """The `ConditionSpec` of an `AutoregressiveImageModel` (from its constructor arguments)."""
    if model.condition_image_shape is not None:
        return ConditionSpec(
            "image", image_shape=tuple(model.condition_image_shape),
            levels=model.condition_image_levels,
        )  # fmt: skip
    if model.num_classes is not None:
        return ConditionSpec("labels", num_classes=model.num_classes)
    if model.condition_dim is not None:
        return ConditionSpec("vectors", dim=model.condition_dim)
    return NO_CONDITION
