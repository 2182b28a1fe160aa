"""export/client.py loaded once as the module `client` (it is a script, not a package module)."""

import importlib.util
import pathlib
import sys

CLIENT_PATH = pathlib.Path(__file__).resolve().parents[2] / "export" / "client.py"


def load_client():
    """The module of export/client.py, loaded on the first call and shared afterwards (its absl
    flags are defined once per process)."""
    if "client" not in sys.modules:
        spec = importlib.util.spec_from_file_location("client", CLIENT_PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules["client"] = module
        spec.loader.exec_module(module)
    return sys.modules["client"]
