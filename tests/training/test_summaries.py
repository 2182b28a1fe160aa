"""TensorBoard summaries of a run, read back from its event files: sample grids, x̂ beside
the samples, reconstructions, the bits/dim map, the config and the hparams metric."""

import glob
import json
import math
from collections import defaultdict

import keras
import numpy as np
import pytest
import tensorflow as tf
from configs import smoke
from tensorboard.plugins.hparams import plugin_data_pb2

import tf_pixelcnn as tpc
from tf_pixelcnn.data.pipeline import make_dataset
from tf_pixelcnn.training import run_outputs, summaries
from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate

ZOOM, PADDING = 4, 1  # run_outputs.picture_grid for images up to 16 pixels high


def _config(name="gated_pixel_cnn", **train):
    config = smoke.get_config()
    config.model.name = name
    config.train.update(num_steps=4, checkpoint_every=4, log_every=4, num_samples=4)
    config.train.update(train)
    config.eval.global_batch_size = 512  # the whole digits test split (359) in one batch
    return config


def _events(directory):
    """tag -> [(step, tf.compat.v1.Summary.Value)], in the order written."""
    events = defaultdict(list)
    for path in sorted(glob.glob(str(directory / "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                events[value.tag].append((event.step, value))
    return events


def _image(value) -> np.ndarray:
    """The image of an image summary (`[width, height, png]` strings), `uint8 [h, w, C]`."""
    width, height, png = tf.make_ndarray(value.tensor)
    picture = tf.io.decode_png(png).numpy()
    assert picture.shape[:2] == (int(height), int(width))
    return picture


def _text(value) -> str:
    return tf.make_ndarray(value.tensor).item().decode()


def _tiles(grid, count, columns, size):
    """The `count` images of a picture grid `uint8 [h, w, C]`, un-zoomed to `size`×`size`."""
    step, tiles = size * ZOOM + PADDING, []
    for i in range(count):
        top, left = PADDING + (i // columns) * step, PADDING + (i % columns) * step
        tiles.append(grid[top : top + size * ZOOM : ZOOM, left : left + size * ZOOM : ZOOM])
    return np.stack(tiles)


def _test_split(config):
    """The digits' whole test split, one batch."""
    return next(iter(make_dataset(
        config.data.dataset, "test", global_batch_size=512, num_levels=config.data.num_levels,
        training=False,
    )))  # fmt: skip


def _levels_to_pixels(images, num_levels) -> np.ndarray:
    return np.round(np.asarray(images) * 255.0 / (num_levels - 1)).astype(np.uint8)


def _map_from_heat(picture, num_levels) -> np.ndarray:
    """Bits/dim `[H, W]` from a heat-map image (below its white end)."""
    return math.log2(num_levels) * picture.astype(np.float64).sum(-1) / (3 * 255)


def test_a_run_writes_samples_maps_config_and_metric(tmp_path):
    # 30 steps at a high rate: a map with cheap (dark) and costly (bright) pixels.
    config = _config(num_steps=30, learning_rate=3e-2, sample_every=15, eval_every=15)
    config.train.update(checkpoint_every=15, log_every=30)
    config.data.validation_size = 100  # periodic evaluations: the validation split
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    events = _events(tmp_path / "eval")

    # The sample grid of every sampling point is the PNG written to samples/.
    assert [step for step, _ in events["samples"]] == [15, 30]
    for step, value in events["samples"]:
        on_disk = tf.io.decode_png((tmp_path / "samples" / f"step_{step:08d}.png").read_bytes())
        np.testing.assert_array_equal(_image(value), on_disk.numpy())
    assert "samples/auxiliary" not in events and "reconstructions" not in events

    # The bits/dim map of every evaluation: [H, W] of the 8×8 digits, an RGB heat map.
    assert [step for step, _ in events["validation/bits_per_dim_map"]] == [15, 30]
    # The test split at the end only: the final step's, then the selected checkpoint's.
    assert [step for step, _ in events["bits_per_dim_map"]] == [30, results["best_step"]]
    heat = _image(events["bits_per_dim_map"][-1][1])
    assert heat.shape == (8, 8, 3) and heat.dtype == np.uint8
    # The map of the selected model over the whole test split: the figure it reports.
    model = keras.models.load_model(str(tmp_path / "model.keras"))
    expected = summaries.bits_per_dim_map(model, _test_split(config))
    assert expected.shape == (8, 8)
    assert expected.mean() == pytest.approx(results["test_bits_per_dim"], abs=1e-4)
    uniform = math.log2(config.data.num_levels)
    np.testing.assert_allclose(
        _map_from_heat(heat, config.data.num_levels), np.minimum(expected, uniform), atol=0.01
    )
    assert expected.min() < 0.25 * uniform  # the digits' empty border is cheap, and dark
    assert np.mean(heat.sum(-1) < 3 * 255) > 0.5  # most pixels below the white end

    # Config and results as text, the hparams session and its metric.
    ((step, config_text),) = events["config"]
    assert step == 30
    assert json.loads(_text(config_text)) == json.loads(json.dumps(config.to_dict()))
    ((_, results_text),) = events["results"]
    assert json.loads(_text(results_text)) == json.loads(json.dumps(results, default=str))
    ((step, metric),) = events["final/test_bits_per_dim"]
    assert step == 30
    assert float(tf.make_ndarray(metric.tensor)) == pytest.approx(results["test_bits_per_dim"])
    ((_, session),) = events["_hparams_/session_start_info"]
    assert session.metadata.plugin_data.plugin_name == "hparams"
    data = plugin_data_pb2.HParamsPluginData.FromString(session.metadata.plugin_data.content)
    hparams = data.session_start_info.hparams
    assert hparams["model.num_layers"].number_value == 2
    assert hparams["model.name"].string_value == "gated_pixel_cnn"
    assert hparams["model.class_conditional"].bool_value is True
    assert hparams["train.learning_rate"].number_value == pytest.approx(3e-2)
    assert data.session_start_info.group_name == tmp_path.name  # the trial: the workdir


def _write_samples(model, tmp_path, num_samples=4, test_batch=None):
    """`write_sample_images` of `model`'s picture, as the trainer calls it; the picture
    and the events read back."""
    picture = run_outputs.sample_images(model, num_samples, (3, 4), test_batch)
    grid = run_outputs.picture_grid(picture.images, picture.columns, model.num_levels)
    writer = tf.summary.create_file_writer(str(tmp_path))
    summaries.write_sample_images(writer, 7, model, picture, grid, model.num_levels)
    writer.flush()
    return picture, _events(tmp_path)


def test_pyramid_shows_each_sample_beside_its_half_resolution_image(tmp_path):
    model = tpc.PyramidPixelCNN(
        (8, 8, 1), num_levels=17, num_resolutions=2, base_num_layers=1, base_filters=8,
        num_layers=1, filters=8, kernel_size=3, num_mixture_components=2, condition_filters=4,
    )  # fmt: skip
    picture, events = _write_samples(model, tmp_path)
    ((step, value),) = events["samples/auxiliary"]
    assert step == 7 and picture.kind == "samples"
    pairs = _tiles(_image(value), 8, 2 * picture.columns, 8)[..., :1]  # x̂, x, x̂, x, ...
    auxiliary, samples = pairs[0::2], pairs[1::2]
    np.testing.assert_array_equal(samples, _levels_to_pixels(picture.images, 17))
    # x̂ is the sample's even rows and columns, each pixel enlarged to 2×2.
    np.testing.assert_array_equal(auxiliary, samples[:, ::2, ::2].repeat(2, 1).repeat(2, 2))
    assert len(np.unique(samples)) > 2


def test_grayscale_shows_each_sample_beside_its_grayscale_levels(tmp_path):
    model = tpc.GrayscalePixelCNN(
        (4, 4, 3), num_levels=16, grayscale_levels=4, num_layers=1, filters=6,
        grayscale_num_layers=1, grayscale_filters=6, kernel_size=3, num_mixture_components=2,
        condition_filters=4,
    )  # fmt: skip
    picture, events = _write_samples(model, tmp_path)
    ((_, value),) = events["samples/auxiliary"]
    pairs = _tiles(_image(value), 8, 2 * picture.columns, 4)
    auxiliary, samples = pairs[0::2], pairs[1::2]
    np.testing.assert_array_equal(samples, _levels_to_pixels(picture.images, 16))
    grayscale = model.auxiliary(picture.images).numpy()  # [N, 4, 4, 1] in [0, 4)
    np.testing.assert_array_equal(auxiliary, np.repeat(grayscale * 85, 3, axis=-1))


def test_auto_encoder_shows_test_images_over_their_reconstructions(tmp_path):
    model = tpc.PixelCNNAutoencoder(
        (8, 8, 1), bottleneck_dim=3, num_layers=1, filters=8, kernel_size=3, num_levels=17,
        encoder_filters=4,
    )  # fmt: skip
    test_batch = _test_split(_config())
    test_batch = {"image": test_batch["image"][:4]}
    _, events = _write_samples(model, tmp_path, test_batch=test_batch)
    assert "samples" not in events and "samples/auxiliary" not in events
    ((_, value),) = events["reconstructions"]
    tiles = _tiles(_image(value), 8, 4, 8)
    np.testing.assert_array_equal(tiles[:4], _levels_to_pixels(test_batch["image"], 17))
    reconstructions = model.reconstruct(test_batch["image"], (3, 4))
    np.testing.assert_array_equal(tiles[4:], _levels_to_pixels(reconstructions, 17))


def test_heat_map_scale_is_fixed_and_invertible():
    values = np.array([[0.0, 1.0], [2.5, 9.0]])
    picture = summaries.heat_map(values, maximum=4.0)
    assert picture.dtype == np.uint8 and picture.shape == (2, 2, 3)
    np.testing.assert_array_equal(picture[0, 0], [0, 0, 0])  # black: 0 bits
    np.testing.assert_array_equal(picture[1, 1], [255, 255, 255])  # white: clipped
    assert picture[0, 1, 0] > 0 and picture[0, 1, 2] == 0  # red before yellow and white
    recovered = 4.0 * picture.astype(np.float64).sum(-1) / 765
    np.testing.assert_allclose(recovered, np.minimum(values, 4.0), atol=4.0 * 1.5 / 765)


def test_flat_config_keeps_hparams_types():
    flat = summaries.flat_config(
        {"seed": 0, "model": {"name": "x", "dropout": 0.1, "flag": True, "none": None},
         "data": {"size": (8, 8)}}
    )  # fmt: skip
    assert flat == {
        "seed": 0, "model.name": "x", "model.dropout": 0.1, "model.flag": True,
        "data.size": "[8, 8]",
    }  # fmt: skip
