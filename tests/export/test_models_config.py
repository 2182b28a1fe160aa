"""export/models.config and the configs in export/README.md parse as TF Serving's
`ModelServerConfig` (the real proto from tensorflow-serving-api, text format)."""

import pathlib
import re

import pytest

pytest.importorskip(
    "tensorflow_serving.config.model_server_config_pb2",
    reason="tensorflow-serving-api is not installed (pip install -e '.[serving]')",
)
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

EXPORT = pathlib.Path(__file__).resolve().parents[2] / "export"


def parse(text: str) -> model_server_config_pb2.ModelServerConfig:
    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


def test_models_config_serves_several_models_and_versions():
    configs = parse((EXPORT / "models.config").read_text()).model_config_list.config
    by_name = {config.name: config for config in configs}
    assert list(by_name) == ["digits", "digits_pyramid", "digits_scores"]
    for name, config in by_name.items():
        assert config.base_path == f"/models/{name}"
        assert config.model_platform == "tensorflow"
    digits = by_name["digits"]
    assert list(digits.model_version_policy.specific.versions) == [1, 2]
    assert dict(digits.version_labels) == {"stable": 1, "canary": 2}
    assert by_name["digits_pyramid"].model_version_policy.latest.num_versions == 1
    assert by_name["digits_scores"].model_version_policy.WhichOneof("policy_choice") == "all"


def test_configs_shown_in_the_export_readme_parse():
    readme = (EXPORT / "README.md").read_text()
    blocks = re.findall(r"```\n(model_config_list \{.*?)```", readme, flags=re.DOTALL)
    assert blocks, "export/README.md shows no model_config_list"
    for block in blocks:
        shown = parse(block)
        assert shown == parse((EXPORT / "models.config").read_text())
