"""Pyramid PixelCNN (Kolesnikov & Lampert 2017, §3.2)."""

import math
from typing import Dict, List, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.layers.numbered_layers import numbered_layers, set_numbered_layers
from tf_pixelcnn.models import factorisation
from tf_pixelcnn.models.auxiliary_variable_model import AuxiliaryVariableModel
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.image_checks import check_integer_images
from tf_pixelcnn.sampling.sample import draw_images, draw_mixture_images
from tf_pixelcnn.sampling.value_choice import RandomDraw, TeacherForced

QUARTERS = ("raster", "independent")
# (row, column) offsets in each 2×2 block of the three quarters a level adds, in order.
NEW_QUARTERS = ((0, 1), (1, 0), (1, 1))


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class PyramidPixelCNN(AuxiliaryVariableModel):
    """p(x) = p(x⁽⁰⁾) ∏_{i ≥ 1} p(x⁽ⁱ⁾ | x⁽ⁱ⁻¹⁾) over a pyramid of resolutions, lowest first.

    x⁽ⁱ⁻¹⁾ is x⁽ⁱ⁾ subsampled by 2: its pixels (2r, 2c). So the known quarter of x⁽ⁱ⁾ is
    copied from x⁽ⁱ⁻¹⁾, and level i models the other three quarters with a lightweight
    `GatedPixelCNN` with a logistic-mixture output conditioned on an image made from
    x⁽ⁱ⁻¹⁾ through an `ImageConditionNetwork` (no causal masks; one down- and up-sampling
    level). Each level's likelihood counts only its new pixels, so log p(x) = Σ_i log p(level
    i) is exact and the subsampled sample of every level is exactly the level below. (The
    paper does not say how it downsamples; subsampling is what makes p(x | x̂) consistent
    with x̂ without truncated sampling.) The lowest level x⁽⁰⁾ is an unconditional Gated
    PixelCNN in raster order. Sampling starts at the lowest resolution.

    `quarters` chooses how a level i ≥ 1 of size H×W factorises its three new quarters
    (x⁽ⁱ⁻¹⁾ is h×w = H/2×W/2):

    - `"raster"` (the default; the paper's): one conditional Gated PixelCNN on the H×W
      image in raster order, p(x⁽ⁱ⁾ | x⁽ⁱ⁻¹⁾) = ∏_{(r, c) not both even}
      p(x_{r,c} | x_{<(r,c)}, x⁽ⁱ⁻¹⁾); its network still steps through the known pixels
      when sampling (H·W steps per level).
    - `"independent"`: the three quarters q ∈ {x[0::2, 1::2], x[1::2, 0::2],
      x[1::2, 1::2]} (in that order, each h×w×C) are conditionally independent given
      x⁽ⁱ⁻¹⁾, and each is a raster-order image of one conditional Gated PixelCNN on the
      h×w grid, shared by the three: p(x⁽ⁱ⁾ | x⁽ⁱ⁻¹⁾) = ∏_q ∏_{(r, c)}
      p_θ(q_{r,c} | q_{<(r,c)}, a_q(x⁽ⁱ⁻¹⁾)). Its condition image a_q, integer
      `[h, w, 4C + 3]`, holds at (r, c) the four pixels of x⁽ⁱ⁻¹⁾ around the quarter's
      pixel (2r + dr, 2c + dc) — x⁽ⁱ⁻¹⁾ at (r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1),
      the last row and column repeated at the border — and a one-hot of q (0 or
      num_levels − 1). Every factor is a normalised density of its quarter, so the level
      (and the pyramid) stays exact and normalised; the three quarters are drawn in one
      batched pass of the cached sampler (batch 3B): H·W/4 steps per level instead of
      H·W. What it gives up: within a level, a quarter's pixels no longer depend on the
      other two quarters' pixels (only through x⁽ⁱ⁻¹⁾), so the likelihood is somewhat
      worse than `"raster"` at the same size (+0.12 bits/dim on the 8×8 digits with
      launch/configs/digits_pyramid.py's settings). `new_quarters`,
      `quarter_conditions` and `interleave` are the pieces other passes over a level
      use (lossless compression).

    Args:
        image_shape: `(H, W, C)`; H and W divisible by 2^(num_resolutions − 1).
        num_levels: Values per sub-pixel.
        num_resolutions: Levels of the pyramid, e.g. 5 for 8×8 → … → 128×128.
        base_num_layers, base_filters: The unconditional lowest-resolution model.
        num_layers, filters: Each conditional level (few layers: x̂ carries most of it).
        kernel_size: Of every level.
        num_mixture_components: Logistics of every level's output.
        condition_filters: S, the channels of each level's spatial map s = f_w(x̂) (its
            `GatedPixelCNN`'s `spatial_condition_filters`: the same quantity).
        condition_hidden_filters, condition_layers_per_resolution: Width and depth of
            each f_w (`ImageConditionNetwork`'s `hidden_filters`, `layers_per_resolution`).
        dropout_rate: Dropout of every level in training (see `GatedBlock`).
        quarters: `"raster"` or `"independent"`, the factorisation of each level's new
            quarters (above).

    Example:
        >>> model = PyramidPixelCNN((16, 16, 3), num_resolutions=3, base_num_layers=2,
        ...                         base_filters=8, num_layers=2, filters=8)
        >>> sorted(model.factor_models)
        ['16x16', '4x4', '8x8']
        >>> fast = PyramidPixelCNN((16, 16, 3), num_resolutions=3, base_num_layers=2,
        ...                        base_filters=8, num_layers=2, filters=8,
        ...                        quarters="independent")
        >>> fast.levels[2].image_shape  # each quarter of the 16×16 level
        (8, 8, 3)

    References:
        Kolesnikov & Lampert 2017, "PixelCNN Models with Auxiliary Variables for Natural
        Image Modeling", ICML, §3.2 and §4.3 (CelebA 8×8 → 128×128). Grouping a level's
        pixels by their offset in the 2×2 block: Reed et al. 2017, "Parallel Multiscale
        Autoregressive Density Estimation", ICML (here each group keeps raster order).
    """

    temperature_applies_to = None  # logistic mixtures only: log_scale_reduction, map

    def __init__(
        self,
        image_shape: Sequence[int] = (64, 64, 3),
        num_levels: int = 256,
        num_resolutions: int = 4,
        base_num_layers: int = 15,
        base_filters: int = 128,
        num_layers: int = 5,
        filters: int = 64,
        kernel_size: int = 5,
        num_mixture_components: int = 10,
        condition_filters: int = 32,
        condition_hidden_filters: int = 32,
        condition_layers_per_resolution: int = 1,
        dropout_rate: float = 0.0,
        quarters: str = "raster",
        **kwargs,
    ):
        super().__init__(
            image_shape, num_levels, num_layers=num_layers, filters=filters,
            kernel_size=kernel_size, num_mixture_components=num_mixture_components,
            condition_filters=condition_filters,
            condition_hidden_filters=condition_hidden_filters,
            condition_layers_per_resolution=condition_layers_per_resolution,
            dropout_rate=dropout_rate, **kwargs,
        )  # fmt: skip
        _check_arguments(self.image_shape, num_resolutions, quarters)
        self.num_resolutions = num_resolutions
        self.base_num_layers, self.base_filters = base_num_layers, base_filters
        self.quarters = quarters
        height, width, channels = self.image_shape
        self.level_shapes = [
            (height // 2 ** (num_resolutions - 1 - i), width // 2 ** (num_resolutions - 1 - i),
             channels)
            for i in range(num_resolutions)
        ]  # fmt: skip
        set_numbered_layers(self, "level", self._make_levels())
        self.built = True

    def _make_levels(self) -> List[GatedPixelCNN]:
        """`level_0`, unconditional on x⁽⁰⁾; then `level_{i}`, each given x⁽ⁱ⁻¹⁾."""
        shapes, channels = self.level_shapes, self.image_shape[2]
        levels = [
            GatedPixelCNN(
                shapes[0],
                num_layers=self.base_num_layers,
                filters=self.base_filters,
                kernel_size=self.kernel_size,
                num_levels=self.num_levels,
                num_mixture_components=self.num_mixture_components,
                dropout_rate=self.dropout_rate,
                **self.factor_head_arguments,
                name="level_0",
                dtype=self.dtype_policy,
            )
        ]
        for i in range(1, self.num_resolutions):
            if self.quarters == "raster":  # the H×W image, conditioned on x⁽ⁱ⁻¹⁾
                modelled, condition = shapes[i], shapes[i - 1]
            else:  # each h×w quarter, conditioned on its corners and its index
                modelled = shapes[i - 1]
                condition = (*shapes[i - 1][:2], 4 * channels + len(NEW_QUARTERS))
            levels.append(
                self.conditional_factor(modelled, condition, self.num_levels, name=f"level_{i}")
            )
        return levels

    @property
    def levels(self) -> List[GatedPixelCNN]:
        """The models of the resolutions, lowest first."""
        return numbered_layers(self, "level", self.num_resolutions)

    @property
    def level_names(self) -> List[str]:
        return [f"{h}x{w}" for h, w, _ in self.level_shapes]

    model_kind = "PyramidPixelCNN"

    @property
    def factor_models(self) -> Dict[str, keras.Model]:
        return dict(zip(self.level_names, self.levels))

    def factors(self):
        """One factor per level, lowest first. Level i ≥ 1 is conditioned on level i − 1:
        raster, the H×W image whose even-even quarter is the level below (given, not
        modelled); independent, the three new quarters as 3·B images of the h×w grid."""
        names, levels = self.level_names, self.levels
        factors = [
            factorisation.Factor(
                names[0], levels[0], levels[0].pixel_distribution, "nothing",
                values_of=lambda images: self.pyramid(images)[0],
            )
        ]  # fmt: skip
        for index in range(1, self.num_resolutions):
            level = levels[index]

            def values_of(images, index=index):
                return self.pyramid(images)[index]

            if self.quarters == "independent":
                factors.append(
                    factorisation.Factor(
                        names[index], level, level.pixel_distribution, names[index - 1],
                        values_of=lambda images, of=values_of: self.new_quarters(of(images)),
                        condition_from=self.quarter_conditions,
                        joined=self._joined_quarters,
                        batch_multiple=len(NEW_QUARTERS),
                    )
                )  # fmt: skip
                continue
            factors.append(
                factorisation.Factor(
                    names[index], level, level.pixel_distribution, names[index - 1],
                    values_of=values_of, condition_from=_lower_level,
                    known_from=_known_from_lower,
                )
            )  # fmt: skip
        return tuple(factors)

    def pyramid(self, images) -> List[tf.Tensor]:
        """The image at every resolution, lowest first: x⁽ⁱ⁻¹⁾ = x⁽ⁱ⁾[:, ::2, ::2]."""
        step = 2 ** (self.num_resolutions - 1)
        return [images[:, :: step // 2**i, :: step // 2**i] for i in range(self.num_resolutions)]

    def auxiliary(self, images) -> tf.Tensor:
        """x̂: the image at half resolution (its even rows and columns)."""
        return images[:, ::2, ::2]

    @property
    def auxiliary_levels(self) -> int:
        return self.num_levels

    @staticmethod
    def known_pixels(height: int, width: int) -> tf.Tensor:
        """`bool [height, width]`: the pixels a level copies from the one below."""
        rows = tf.range(height) % 2 == 0
        columns = tf.range(width) % 2 == 0
        return tf.logical_and(rows[:, None], columns[None, :])

    def new_quarters(self, image) -> tf.Tensor:
        """The three quarters a level adds, stacked quarter-major: `[3·batch, h, w, C]`
        (x[0::2, 1::2] of every image, then x[1::2, 0::2], then x[1::2, 1::2])."""
        return tf.concat([image[:, dr::2, dc::2] for dr, dc in NEW_QUARTERS], axis=0)

    def quarter_conditions(self, lower) -> tf.Tensor:
        """`quarters="independent"`: the condition images a_q of the three quarters over
        x⁽ⁱ⁻¹⁾ `[batch, h, w, C]`, integer `[3·batch, h, w, 4C + 3]`, quarter-major:
        x⁽ⁱ⁻¹⁾ at (r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1) (the last row and column
        repeated), then a one-hot of the quarter with values 0 or num_levels − 1."""
        lower = tf.cast(lower, tf.int32)
        right = tf.concat([lower[:, :, 1:], lower[:, :, -1:]], axis=2)  # (B, h, w, C)
        below = tf.concat([lower[:, 1:], lower[:, -1:]], axis=1)
        diagonal = tf.concat([below[:, :, 1:], below[:, :, -1:]], axis=2)
        corners = tf.concat([lower, right, below, diagonal], axis=-1)  # (B, h, w, 4C)
        on = tf.fill(tf.shape(lower[..., :1]), self.num_levels - 1)  # (B, h, w, 1)
        off = tf.zeros_like(on)
        return tf.concat(
            [
                tf.concat([corners, *(on if k == q else off for k in range(3))], axis=-1)
                for q in range(len(NEW_QUARTERS))
            ],
            axis=0,
        )  # (3B, h, w, 4C + 3)

    def level_log_prob(self, index: int, image, lower=None, training=False) -> tf.Tensor:
        """log p(x⁽ⁱ⁾ | x⁽ⁱ⁻¹⁾) in nats `[batch]`: the level's new pixels only."""
        model = self.levels[index]
        if index == 0:
            return model.log_prob(image, training=training)
        if self.quarters == "independent":
            log_p = model.log_prob(
                self.new_quarters(image), condition=self.quarter_conditions(lower),
                training=training,
            )  # fmt: skip  # (3B,)
            return tf.reduce_sum(tf.reshape(log_p, [len(NEW_QUARTERS), -1]), axis=0)
        return tf.reduce_sum(self.level_log_prob_map(index, image, lower, training), axis=[1, 2])

    def level_log_prob_map(self, index: int, image, lower=None, training=False) -> tf.Tensor:
        """log p of every pixel of level `index` given x⁽ⁱ⁻¹⁾ in nats `[batch, H_i, W_i]`,
        zero at the pixels it copies from the level below; sums to `level_log_prob`."""
        model = self.levels[index]
        if index == 0:
            return model.log_prob_map(image, training=training)
        if self.quarters == "independent":
            log_p = model.log_prob_map(
                self.new_quarters(image), condition=self.quarter_conditions(lower),
                training=training,
            )  # fmt: skip  # (3B, h, w)
            quarters = tf.split(log_p, len(NEW_QUARTERS), axis=0)  # 3 × (B, h, w)
            return tf.add_n(
                [spread_pixels(q, 2, dr, dc) for q, (dr, dc) in zip(quarters, NEW_QUARTERS)]
            )
        pixel = model.log_prob_map(image, condition=lower, training=training)  # (B, H, W)
        height, width, _ = self.level_shapes[index]
        new = tf.cast(tf.logical_not(self.known_pixels(height, width)), pixel.dtype)
        return pixel * new

    def log_prob_map(self, images, training=False) -> tf.Tensor:
        """log p of every pixel in nats `[batch, H, W]`: each pixel's term in the level
        that adds it (its copies in the levels above count nothing)."""
        images = self.check_images(images)
        pyramid = self.pyramid(images)
        maps = [
            spread_pixels(
                self.level_log_prob_map(i, pyramid[i], pyramid[i - 1] if i else None, training),
                2 ** (self.num_resolutions - 1 - i),
            )  # (B, H, W)
            for i in range(self.num_resolutions)
        ]
        return tf.add_n(maps)

    def factor_log_probs(self, images, training=False, factors=None) -> Dict[str, tf.Tensor]:
        images = self.check_images(images)
        pyramid = self.pyramid(images)
        return {
            name: self.level_log_prob(i, pyramid[i], pyramid[i - 1] if i else None, training)
            for i, name in enumerate(self.level_names)
            if not factors or name in factors
        }

    def report_bits_per_dim(self, factor_log_probs) -> Dict[str, tf.Tensor]:
        """Bits/dim of the image at each resolution (all levels up to it), as in the paper."""
        report, total = {}, 0.0
        for name, shape in zip(self.level_names, self.level_shapes):
            total = total + factor_log_probs[name]
            report[name] = -total / (math.prod(shape) * math.log(2.0))
        return report

    # --- Sampling -----------------------------------------------------------------------

    def _joined_quarters(self, lower, quarters) -> tf.Tensor:
        """The level from the level below and its new quarters `[3·B, h, w, C]`."""
        shape = [len(NEW_QUARTERS), -1, *quarters.shape[1:]]
        return self.interleave(lower, tf.reshape(quarters, shape))

    def _level_stream_sizes(self) -> List[int]:
        """Uniforms per image of each level: its distribution's per modelled pixel (raster:
        the known quarter's too, unused; independent: the three quarters, one after the other)."""
        sizes = [
            math.prod(level.pixel_distribution.stream_shape(h, w))
            for level, (h, w, _) in zip(self.levels, self.level_shapes)
        ]
        if self.quarters == "independent":
            sizes[1:] = [3 * size // 4 for size in sizes[1:]]
        return sizes

    @property
    def stream_size(self) -> int:
        return sum(self._level_stream_sizes())

    @property
    def given_stream_size(self) -> int:
        return self._level_stream_sizes()[-1]

    def given_level(self, auxiliary_shape) -> int:
        """The pyramid level an image of `auxiliary_shape` `(h, w, C)` is (below the top)."""
        shape = tuple(int(d) for d in auxiliary_shape)
        lower = [tuple(s) for s in self.level_shapes[:-1]]
        if shape not in lower:
            raise ValueError(
                f"sample_given takes an image at a lower resolution of the pyramid, integer "
                f"[batch, h, w, C] with (h, w, C) one of {lower}. Received: shape {shape}."
            )
        return lower.index(shape)

    def given_stream_size_for(self, auxiliary_shape) -> int:
        return sum(self._level_stream_sizes()[self.given_level(auxiliary_shape) + 1 :])

    def draw_level(self, index, lower, uniform, method, log_scale_reduction=0.0,
                   mixture_mode="sample"):  # fmt: skip
        """Level `index` `int32 [batch, H, W, C]` given the level below (`lower`, None for
        level 0), from its part of the random stream `[batch, stream size of the level]`."""
        height, width, channels = self.level_shapes[index]
        model = self.levels[index]
        if index and self.quarters == "independent":
            h, w = height // 2, width // 2
            stream_shape = model.pixel_distribution.stream_shape(h, w)
            uniform = tf.reshape(uniform, [-1, len(NEW_QUARTERS), *stream_shape])
            uniform = tf.reshape(
                tf.transpose(uniform, [1, 0, 2, 3, 4]), [-1, *stream_shape]
            )  # (3B, h, w, uniforms per pixel), quarter-major
            drawn = draw_mixture_images(
                model, uniform, self.quarter_conditions(lower), method, log_scale_reduction,
                mixture_mode,
            )  # fmt: skip  # (3B, h, w, C)
            return self.interleave(
                lower, tf.reshape(drawn, [len(NEW_QUARTERS), -1, h, w, channels])
            )
        uniform = tf.reshape(uniform, [-1, *model.pixel_distribution.stream_shape(height, width)])
        if index == 0:
            return draw_mixture_images(
                model, uniform, None, method, log_scale_reduction, mixture_mode
            )

        choice = TeacherForced(  # the even rows and columns: the level below's pixels
            values=lambda row, column: lower[:, row // 2, column // 2],
            known=lambda row, column: tf.logical_and(row % 2 == 0, column % 2 == 0),
            otherwise=RandomDraw(
                log_scale_reduction=log_scale_reduction, mixture_mode=mixture_mode
            ),
        )
        return draw_images(model, uniform, lower, method, choice)

    @staticmethod
    def interleave(lower, quarters) -> tf.Tensor:
        """The H×W image `[batch, 2h, 2w, C]` from x⁽ⁱ⁻¹⁾ `[batch, h, w, C]` (its even rows
        and columns) and the new quarters `[3, batch, h, w, C]` (`NEW_QUARTERS` order)."""
        lower = tf.cast(lower, tf.int32)
        height, width, channels = (int(d) for d in lower.shape[1:])
        top = tf.stack([lower, quarters[0]], axis=3)  # (B, h, w, 2, C): rows 2r
        bottom = tf.stack([quarters[1], quarters[2]], axis=3)  # rows 2r + 1
        blocks = tf.stack([top, bottom], axis=2)  # (B, h, 2, w, 2, C)
        return tf.reshape(blocks, [-1, 2 * height, 2 * width, channels])

    def draw_levels(self, uniform, method, log_scale_reduction=0.0, mixture_mode="sample"):
        """The sample at every resolution, lowest first (the last is `draw`'s image)."""
        images, start = [], 0
        for index, size in enumerate(self._level_stream_sizes()):
            images.append(
                self.draw_level(
                    index, images[-1] if images else None, uniform[:, start : start + size],
                    method, log_scale_reduction, mixture_mode,
                )
            )  # fmt: skip
            start += size
        return images

    def draw(self, uniform, method, temperature, log_scale_reduction, mixture_mode):
        del temperature  # a logistic mixture: checked to be 1 by `sample`
        return self.draw_levels(uniform, method, log_scale_reduction, mixture_mode)[-1]

    def checked_auxiliary(self, auxiliary) -> tf.Tensor:
        """A lower level x⁽ⁱ⁾ `int32 [batch, h, w, C]`, checked (shape, dtype, range)."""
        auxiliary = tf.convert_to_tensor(auxiliary)
        index = self.given_level(auxiliary.shape[1:])
        if self.quarters == "raster":
            checked = self.levels[index + 1].condition_image(auxiliary)  # dtype and range
        else:
            if not auxiliary.dtype.is_integer:
                raise ValueError(
                    f"sample_given takes integer images [batch, "
                    f"{', '.join(map(str, auxiliary.shape[1:]))}] in [0, {self.num_levels}). "
                    f"Received: dtype={auxiliary.dtype.name}."
                )
            checked = check_integer_images(auxiliary, auxiliary.shape[1:], self.num_levels)
        with tf.control_dependencies([checked]):
            return tf.cast(auxiliary, tf.int32)

    def draw_given(self, auxiliary, uniform, method, log_scale_reduction, mixture_mode):
        """The top level given any lower level x⁽ⁱ⁾ (the levels in between are drawn too:
        from 8×8 up to 128×128, say), from `uniform` `[batch, given_stream_size_for]`."""
        image = self.checked_auxiliary(auxiliary)
        index = self.given_level(image.shape[1:])
        start = 0
        for level in range(index + 1, self.num_resolutions):
            size = self._level_stream_sizes()[level]
            image = self.draw_level(
                level, image, uniform[:, start : start + size], method, log_scale_reduction,
                mixture_mode,
            )  # fmt: skip
            start += size
        return image

    def get_config(self):
        # `quarters` only when not the default: a "raster" pyramid's config (and the
        # config digest of data compressed with it) is what it was before the option.
        extra = {} if self.quarters == "raster" else {"quarters": self.quarters}
        return {
            **super().get_config(),
            "num_resolutions": self.num_resolutions,
            "base_num_layers": self.base_num_layers,
            "base_filters": self.base_filters,
            **extra,
        }


def _lower_level(lower):
    """A raster level's condition: the level below, x⁽ⁱ⁻¹⁾."""
    return lower


def _known_from_lower(lower):
    """A raster level's given pixels: its even-even quarter is the level below."""

    def known(row: int, column: int):
        return lower[:, row // 2, column // 2] if row % 2 == 0 and column % 2 == 0 else None

    return known


def spread_pixels(values, stride: int, row: int = 0, column: int = 0) -> tf.Tensor:
    """`[batch, h·stride, w·stride]` holding `values` `[batch, h, w]` at the pixels
    (stride·r + row, stride·c + column), zero elsewhere."""
    height, width = int(values.shape[1]), int(values.shape[2])
    padded = tf.pad(
        values[:, :, None, :, None],
        [[0, 0], [0, 0], [row, stride - 1 - row], [0, 0], [column, stride - 1 - column]],
    )  # (B, h, stride, w, stride)
    return tf.reshape(padded, [-1, height * stride, width * stride])


def _check_arguments(image_shape, num_resolutions: int, quarters: str) -> None:
    """`quarters` in `QUARTERS`; `num_resolutions` ≥ 2 with H and W divisible by
    2^(num_resolutions − 1)."""
    if quarters not in QUARTERS:
        raise ValueError(f"quarters must be one of {QUARTERS}. Received: quarters={quarters!r}.")
    height, width, _ = image_shape
    factor = 2 ** (num_resolutions - 1)
    if num_resolutions < 2 or height % factor or width % factor:
        raise ValueError(
            "num_resolutions must be >= 2 and the image height and width divisible by "
            f"2^(num_resolutions - 1). Received: num_resolutions={num_resolutions}, "
            f"image_shape={image_shape}."
        )
