"""The naive sampler: one full network evaluation per sub-pixel (the reference)."""

import tensorflow as tf

from tf_pixelcnn.sampling.value_choice import RandomDraw


def naive_sample(model, uniform, condition=None, temperature=1.0, max_steps=None,
                 draw_subpixel=None) -> tf.Tensor:  # fmt: skip
    """Samples in raster order, R then G then B, re-running the whole model each step.

    H·W·C evaluations of the full network; exact and simple, it is the reference the
    cached sampler is tested against. Written with `tf.while_loop`, so it runs inside a
    `tf.function` or a SavedModel signature as well as eagerly.

    Args:
        model: an `AutoregressiveImageModel` with a softmax output (`GatedPixelCNN`,
            `PixelCNN`; its `pixel_distribution` draws each sub-pixel).
        uniform: `float32 [batch, height, width, channels]`, the random stream of the
            images: `random_stream.uniform_noise(seeds, distribution.stream_shape(H, W))`.
        condition: labels `[batch]` or vectors `[batch, D]` for conditional models.
        temperature: float > 0.
        max_steps: stop after this many sub-pixels (benchmarks time a few steps: they
            all cost the same); the rest of the image stays 0.
        draw_subpixel: replaces `model.pixel_distribution.draw` (then `temperature` is up
            to the hook): `draw_subpixel(logits [B, L], uniform [B], row, column, channel)
            -> int32 [B]` (`value_choice.ValueChoice.hooks`).

    Returns:
        `int32 [batch, height, width, channels]`.

    References:
        van den Oord et al. 2016, "Pixel Recurrent Neural Networks", §2.
    """
    height, width, channels = model.image_shape
    num_steps = height * width * channels
    if draw_subpixel is None:
        draw_subpixel = RandomDraw(temperature).draw_subpixel(model.pixel_distribution)

    def step(t, images):
        row, column, channel = t // (width * channels), (t // channels) % width, t % channels
        logits = model(images, condition=condition, training=False)  # (B, H, W, C, L)
        values = draw_subpixel(
            logits[:, row, column, channel], uniform[:, row, column, channel], row, column,
            channel,
        )  # (B,)
        position = tf.reshape(tf.one_hot(t, num_steps, dtype=tf.int32), [height, width, channels])
        return t + 1, images + position[None] * values[:, None, None, None]

    return _run_steps(step, model.image_shape, tf.shape(uniform)[0], num_steps, max_steps)


def naive_sample_mixture(
    model,
    uniform,
    condition=None,
    log_scale_reduction=0.0,
    mode="sample",
    max_steps=None,
    draw_pixel=None,
) -> tf.Tensor:
    """The naive sampler of a logistic-mixture `GatedPixelCNN`: one network pass per pixel,
    all C channels of the pixel drawn together (`LogisticMixture.draw`).

    Args:
        model: a `GatedPixelCNN` whose `pixel_distribution` is a `LogisticMixture`.
        uniform: `float32 [batch, height, width, 1 + channels]`: per pixel the component,
            then each channel (`distribution.stream_shape(H, W)`).
        condition: as `naive_sample`.
        log_scale_reduction, mode: see `LogisticMixture.draw` ("sample", "map").
        max_steps: stop after this many pixels.
        draw_pixel: replaces `model.pixel_distribution.draw`:
            `draw_pixel(params [B, P], uniform [B, 1 + C], row, column) -> int32 [B, C]`.

    Returns:
        `int32 [batch, height, width, channels]`.
    """
    height, width, channels = model.image_shape
    if draw_pixel is None:
        choice = RandomDraw(log_scale_reduction=log_scale_reduction, mixture_mode=mode)
        draw_pixel = choice.draw_pixel(model.pixel_distribution)
    num_steps = height * width

    def step(t, images):
        row, column = t // width, t % width
        params = model(images, condition=condition, training=False)  # (B, H, W, P)
        values = draw_pixel(params[:, row, column], uniform[:, row, column], row, column)
        position = tf.reshape(tf.one_hot(t, num_steps, dtype=tf.int32), [height, width, 1])
        return t + 1, images + position[None] * values[:, None, None, :]

    return _run_steps(step, model.image_shape, tf.shape(uniform)[0], num_steps, max_steps)


def _run_steps(step, image_shape, batch, num_steps: int, max_steps) -> tf.Tensor:
    """`int32 [batch, H, W, C]`: zero images, then `t, images = step(t, images)` from t = 0
    while t < `min(max_steps, num_steps)`, in a `tf.while_loop`."""
    height, width, channels = image_shape
    last_step = num_steps if max_steps is None else min(max_steps, num_steps)
    images = tf.zeros([batch, height, width, channels], tf.int32)
    _, images = tf.while_loop(
        lambda t, _: t < last_step,
        step,
        (tf.constant(0), images),
        shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, height, width, channels])),
    )
    return images
