import json
import os

from tf_pixelcnn.training import demo


def test_demo_trains_samples_and_saves(tmp_path):
    results = demo.run_demo(str(tmp_path), num_steps=30, num_layers=2, filters=12, log_every=10)
    assert results["test_bits_per_dim_after"] < results["test_bits_per_dim_before"]
    for name in ("samples.png", "data.png", "model.keras", "results.json"):
        assert os.path.getsize(tmp_path / name) > 0
    with open(tmp_path / "samples.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "results.json").read_text())["num_steps"] == 30
