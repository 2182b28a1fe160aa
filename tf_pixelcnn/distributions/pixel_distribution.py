"""`PixelDistribution`: what every distribution of a pixel tells the loops that use it.

A model's output head gives, for every pixel, the parameters of one of these
distributions (`GatedPixelCNN.pixel_distribution` says which). Each subclass owns its
maths — log-prob, the inverse-CDF draw from uniform numbers, the range coder's tables —
and this base class states how it meets the sampler's loop and the random stream:

- `whole_pixel`: one network output gives all C channels of a pixel (a logistic
  mixture: the pixel is one colour group), or one output per sub-pixel, R then G then B
  (a softmax: C colour groups); `groups` is that number of outputs per pixel;
- `outputs_per_group`: the length of each such output (softmax logits: `num_levels`);
- `uniforms_per_pixel`: the uniform numbers one pixel's draw consumes. The random stream
  of an image is `[H, W, uniforms_per_pixel]` (`stream_shape`): the one layout rule that
  samplers, completion, the coder and the SavedModel signatures share, so the same seed
  gives the same image everywhere.

Subclasses are frozen dataclasses: equal settings compare and hash equal, so compile
caches can key on them.
"""

import abc
import numbers
from typing import Tuple

MIXTURE_MODES = ("sample", "map")  # how a mixture picks a pixel's values (see `draw`)


class PixelDistribution(abc.ABC):
    """Base class: `num_levels` values per sub-pixel, `channels` sub-pixels per pixel.

    Subclasses: `categorical.Categorical`, `logistic_mixture.LogisticMixture`,
    `truncated_logistic_mixture.TruncatedLogisticMixture`.
    """

    num_levels: int
    channels: int

    @property
    @abc.abstractmethod
    def whole_pixel(self) -> bool:
        """True: one output draws the whole pixel; False: one output per sub-pixel."""

    @property
    @abc.abstractmethod
    def outputs_per_group(self) -> int:
        """Numbers the network outputs per colour group (a softmax: `num_levels` logits)."""

    @property
    @abc.abstractmethod
    def uniforms_per_pixel(self) -> int:
        """Uniform numbers one pixel's draw consumes."""

    @property
    def groups(self) -> int:
        """Network outputs per pixel: 1 (whole pixels) or `channels` (sub-pixels)."""
        return 1 if self.whole_pixel else self.channels

    def stream_shape(self, height: int, width: int) -> Tuple[int, int, int]:
        """`(height, width, uniforms_per_pixel)`: one image's random stream.

        Example:
            >>> from tf_pixelcnn.distributions.categorical import Categorical
            >>> from tf_pixelcnn.distributions.logistic_mixture import LogisticMixture
            >>> Categorical(num_levels=256, channels=3).stream_shape(32, 32)
            (32, 32, 3)
            >>> LogisticMixture(256, 3, num_components=10).stream_shape(32, 32)
            (32, 32, 4)
        """
        return (int(height), int(width), self.uniforms_per_pixel)

    def check_draw_options(
        self, temperature=1.0, log_scale_reduction=0.0, mixture_mode: str = "sample"
    ) -> None:
        """Raises `ValueError` for drawing options that are invalid or do not apply.

        A softmax is sharpened by `temperature`; a mixture by `log_scale_reduction` or
        `mixture_mode="map"` (subclasses refuse the others). Here: what holds for all.
        """
        if mixture_mode not in MIXTURE_MODES:
            raise ValueError(
                f"mixture_mode must be 'sample' or 'map'. Received: mixture_mode={mixture_mode!r}."
            )
        if not float(temperature) > 0:
            raise ValueError(f"temperature must be > 0. Received: temperature={temperature}.")


def check_sizes(**sizes: int) -> None:
    """Every keyword is an integer ≥ its minimum: `num_levels` ≥ 2, the others ≥ 1."""
    for name, value in sizes.items():
        minimum = 2 if name == "num_levels" else 1
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}. Received: {name}={value!r}.")
