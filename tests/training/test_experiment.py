import pytest

from configs import autoencoder_m10, cifar10, demo, imagenet32_class_conditional, smoke
from tf_pixelcnn.models import GatedPixelCNN, PixelCNNAutoencoder
from tf_pixelcnn.training import experiment


def test_model_shape_and_levels_come_from_the_data():
    config = demo.get_config().to_dict()
    model = experiment.build_model(config["model"], config["data"])
    assert isinstance(model, GatedPixelCNN)
    assert model.image_shape == (8, 8, 1) and model.num_levels == 17 and model.num_classes == 10


def test_paper_configs_build_the_paper_models():
    config = imagenet32_class_conditional.get_config().to_dict()
    assert experiment.image_shape(config["data"]) == (32, 32, 3)
    assert config["model"]["num_layers"] == 20 and config["model"]["filters"] == 384
    assert config["model"]["kernel_size"] == 5 and config["train"]["global_batch_size"] == 128
    assert config["train"]["num_steps"] == 200_000
    auto = autoencoder_m10.get_config().to_dict()
    assert auto["model"]["output_filters"] == 1024  # the paper's head, from imagenet32
    auto["model"].update(num_layers=1, filters=4, encoder_filters=4, output_filters=8)
    model = experiment.build_model(auto["model"], auto["data"])
    assert isinstance(model, PixelCNNAutoencoder) and model.bottleneck_dim == 10
    assert model.decoder.output_head.hidden_filters == 8
    assert cifar10.get_config().model.output_filters == 1024
    assert experiment.image_shape(cifar10.get_config().to_dict()["data"]) == (32, 32, 3)


@pytest.mark.parametrize("name", ["gated_pixel_cnn", "pixel_cnn"])
def test_head_options_come_from_the_config(name):
    config = smoke.get_config()
    config.model.update(name=name, first_kernel_size=5, output_filters=24, kernel_size=3)
    model = experiment.build_model(config.model.to_dict(), config.data.to_dict())
    assert model.first_kernel_size == 5 and model.output_head.hidden_filters == 24
    config.model.update(first_kernel_size=None, output_filters=None)  # the models' defaults
    model = experiment.build_model(config.model.to_dict(), config.data.to_dict())
    levels = config.data.num_levels  # 17 levels of one channel: 17 logits > 8 filters
    assert model.output_head.hidden_filters == max(config.model.filters, levels) == 17


def test_config_errors_are_named():
    config = smoke.get_config().to_dict()
    with pytest.raises(ValueError, match="model.name must be one of"):
        experiment.build_model({**config["model"], "name": "wavenet"}, config["data"])
    with pytest.raises(ValueError, match="has no labels"):
        experiment.build_model(config["model"], {**config["data"], "dataset": "binarized_mnist"})
    with pytest.raises(ValueError, match=r"Unknown data config keys \['size'\]"):
        experiment.dataset_kwargs({**config["data"], "size": 3})
    with pytest.raises(ValueError, match="learning_rate_schedule"):
        experiment.build_optimizer({**config["train"], "learning_rate_schedule": "step"})


def test_schedule_warms_up_then_decays():
    train = {"num_steps": 100, "learning_rate": 1.0, "warmup_steps": 10}
    schedule = experiment.learning_rate_schedule(train)
    rates = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert rates[0] == 0.0 and rates[1] == pytest.approx(0.5) and rates[2] == pytest.approx(1.0)
    assert rates[3] == pytest.approx(0.5, abs=1e-6) and rates[4] == pytest.approx(0.0, abs=1e-6)


def test_optimizer_wraps_for_float16_and_leaves_clipping_to_the_step():
    import keras

    train = {"num_steps": 10, "learning_rate": 0.1, "mixed_precision": "mixed_float16"}
    optimizer = experiment.build_optimizer(train)
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    assert optimizer.inner_optimizer.global_clipnorm is None
    assert experiment.learning_rate_schedule({**train, "learning_rate_schedule": "constant"}) == 0.1


def test_image_folder_labels_come_from_the_train_folders(tmp_path):
    import numpy as np

    from tf_pixelcnn.utils.image_grid import write_png

    for label in ("cat", "dog", "eel"):
        write_png(str(tmp_path / "train" / label / "a.png"), np.zeros((4, 4, 3), np.uint8))
    data = {
        "dataset": "image_folder",
        "data_dir": str(tmp_path),
        "image_size": (4, 4),
        "num_levels": 16,
    }
    model = experiment.build_model(
        {"name": "gated_pixel_cnn", "class_conditional": True, "num_layers": 1, "filters": 4,
         "kernel_size": 3}, data,
    )  # fmt: skip
    assert model.num_classes == 3 and model.image_shape == (4, 4, 3)
