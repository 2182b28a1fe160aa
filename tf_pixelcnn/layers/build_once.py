"""Building nested layers that may already have been built by a direct call."""


def build_once(layer, *shapes) -> None:
    """Builds `layer` unless it is built: a sub-layer called directly (e.g. an encoder
    used before its model) is built already, and building it twice would add weights."""
    if not layer.built:
        layer.build(*shapes)
