"""The value chosen at every step of the inference loop, as a small object.

One pass of the cached (or naive) sampler computes, pixel by pixel in raster order, the
outputs of the model given the values chosen before; what value is chosen is up to a
`ValueChoice`:

- `RandomDraw`: inverse-CDF draw from the step's distribution with the image's random
  stream (`temperature` for a softmax; `log_scale_reduction`, `mixture_mode` for a
  logistic mixture — MAP is `mixture_mode="map"`): `tpc.sample`, auxiliary-variable
  models' factors;
- `TeacherForced`: the given value where it is known, else another choice's
  (`tpc.complete`: a known prefix; a pyramid level: the pixels of the level below;
  every value known: the model's outputs along given images);
- `Callback`: a function receives each step's range-coder table and returns the value
  (compression: the encoder hands the true value's table to the range coder, the
  decoder decodes the value from it).

Each choice gives the hooks `cached_sample` and `naive_sample_mixture` take
(`hooks(distribution)`): `draw_pixel(params [B, P], uniform [B, 1 + C], row, column)
-> int32 [B, C]` for whole-pixel distributions (logistic mixtures), and
`draw_subpixel(logits [B, L], uniform [B], row, column, channel) -> int32 [B]` for
per-sub-pixel ones (softmax), called in raster order, R then G then B. The hooks call
the distribution's own maths (`PixelDistribution.draw`, `coder_table`, `coded_pixel`),
so every choice computes the same numbers the samplers computed with inline hooks.
"""

import dataclasses
from typing import Any, Callable, Dict, Optional

import tensorflow as tf

# bounds(row, column) -> (earlier values int32 [B, c] -> (low, high) int32 [B]): the
# interval each channel of a truncated mixture's pixel is restricted to
# (`TruncatedLogisticMixture`; the Grayscale PixelCNN's colour given x̂).
Bounds = Callable[[Any, Any], Callable]


class ValueChoice:
    """How the value of each step is chosen; see the module docstring."""

    def draw_pixel(self, distribution) -> Callable:
        """`draw_pixel(params, uniform, row, column) -> int32 [B, C]`."""
        raise NotImplementedError

    def draw_subpixel(self, distribution) -> Callable:
        """`draw_subpixel(logits, uniform, row, column, channel) -> int32 [B]`."""
        raise NotImplementedError

    def hooks(self, distribution) -> Dict[str, Callable]:
        """`{"draw_pixel": ..., "draw_subpixel": ...}` for `cached_sample(**hooks)`: the
        hook of `distribution`'s kind (whole pixel or sub-pixel), the other None."""
        if distribution.whole_pixel:
            return {"draw_pixel": self.draw_pixel(distribution), "draw_subpixel": None}
        return {"draw_pixel": None, "draw_subpixel": self.draw_subpixel(distribution)}


@dataclasses.dataclass(frozen=True)
class RandomDraw(ValueChoice):
    """An inverse-CDF draw with the step's uniform numbers (`distribution.draw`).

    Attributes:
        temperature: softmax outputs: > 0 (float or scalar tensor).
        log_scale_reduction, mixture_mode: logistic mixtures ("sample" or "map").
        bounds: a `TruncatedLogisticMixture`'s intervals, `bounds(row, column)` (see
            `Bounds`); None for the other distributions.
    """

    temperature: Any = 1.0
    log_scale_reduction: Any = 0.0
    mixture_mode: str = "sample"
    bounds: Optional[Bounds] = None

    def draw_pixel(self, distribution):
        if self.bounds is None:
            return lambda params, uniform, row, column: distribution.draw(
                params, uniform, self.log_scale_reduction, self.mixture_mode
            )
        return lambda params, uniform, row, column: distribution.draw(
            params, uniform, self.bounds(row, column), self.log_scale_reduction,
            self.mixture_mode,
        )  # fmt: skip

    def draw_subpixel(self, distribution):
        return lambda logits, uniform, row, column, channel: distribution.draw(
            logits, uniform, self.temperature
        )


@dataclasses.dataclass(frozen=True)
class TeacherForced(ValueChoice):
    """The given value at known steps, `otherwise`'s at the others.

    Attributes:
        values: integer images `[B, H, W, C]`, or `values(row, column) -> int32 [B, C]`
            (e.g. a pyramid level's pixels from the level below).
        known: `known(row, column) -> bool [B]` (per image) or a bool scalar (every
            image); None: every step is known (the values are returned as given).
        otherwise: the choice at unknown steps (default: `RandomDraw()`).
    """

    values: Any
    known: Optional[Callable] = None
    otherwise: ValueChoice = RandomDraw()

    def _pixel(self, row, column):
        if callable(self.values):
            return self.values(row, column)
        return self.values[:, row, column]  # (B, C)

    def _subpixel(self, row, column, channel):
        if callable(self.values):
            return self.values(row, column)[:, channel]
        return self.values[:, row, column, channel]  # (B,)

    def draw_pixel(self, distribution):
        draw = self.otherwise.draw_pixel(distribution)

        def draw_pixel(params, uniform, row, column):
            if self.known is None:
                return tf.cast(self._pixel(row, column), tf.int32)
            drawn = draw(params, uniform, row, column)
            known = tf.convert_to_tensor(self.known(row, column))
            if known.shape.rank:  # per image: (B,) -> (B, 1)
                known = known[:, None]
            return tf.where(known, self._pixel(row, column), drawn)

        return draw_pixel

    def draw_subpixel(self, distribution):
        draw = self.otherwise.draw_subpixel(distribution)

        def draw_subpixel(logits, uniform, row, column, channel):
            if self.known is None:
                return tf.cast(self._subpixel(row, column, channel), tf.int32)
            drawn = draw(logits, uniform, row, column, channel)
            return tf.where(self.known(row, column), self._subpixel(row, column, channel), drawn)

        return draw_subpixel


@dataclasses.dataclass(frozen=True)
class Callback(ValueChoice):
    """Each value from `value(table, row, column, channel) -> int32 [B]`, given the step's
    range-coder table `float32 [B, L]` (unnormalised probabilities: `coder_table` of a
    softmax sub-pixel; channel by channel of a mixture's pixel, `coded_pixel`, each table
    given the channels returned before it). Called in raster order, R then G then B.

    Compression's encoder returns the true values (and codes them with the tables), its
    decoder the values it decodes from the tables; both run the same graph, so they see
    the same tables.

    Attributes:
        value: the callback (in the graph: e.g. a `tf.numpy_function`).
        bounds: a `TruncatedLogisticMixture`'s intervals, as `RandomDraw.bounds`.
    """

    value: Callable
    bounds: Optional[Bounds] = None

    def draw_pixel(self, distribution):
        def draw_pixel(params, uniform, row, column):
            del uniform
            value_of = lambda channel, table: self.value(table, row, column, channel)  # noqa: E731
            if self.bounds is None:
                return distribution.coded_pixel(params, value_of)
            return distribution.coded_pixel(params, value_of, self.bounds(row, column))

        return draw_pixel

    def draw_subpixel(self, distribution):
        def draw_subpixel(logits, uniform, row, column, channel):
            del uniform
            return self.value(distribution.coder_table(logits), row, column, channel)

        return draw_subpixel
