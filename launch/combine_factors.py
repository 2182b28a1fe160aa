"""Combines the factors of a Grayscale or Pyramid PixelCNN trained in separate runs.

    python launch/train.py --config=launch/configs/digits_pyramid.py --workdir=/tmp/p_low \
        --config.train.factors=2x2,4x4
    python launch/train.py --config=launch/configs/digits_pyramid.py --workdir=/tmp/p_top \
        --config.train.factors=8x8
    python launch/combine_factors.py --output=/tmp/pyramid.keras \
        --factor=2x2=/tmp/p_low/model.keras --factor=4x4=/tmp/p_low/model.keras \
        --factor=8x8=/tmp/p_top/model.keras
    python launch/evaluate.py --workdir=/tmp/p_top --model=/tmp/pyramid.keras

Every factor of the model must be given once; the runs must share the model config. The
output is written to a temporary file and renamed into place, so a failure leaves an
existing output as it was.
"""

from absl import app, flags

import console

with console.quiet_tensorflow_import():
    import keras
    import tensorflow as tf

    import tf_pixelcnn  # noqa: F401 (registers the model classes)

_FACTORS = flags.DEFINE_multi_string(
    "factor", [], "NAME=PATH.keras: take factor NAME from that model (every factor once)."
)
_OUTPUT = flags.DEFINE_string("output", None, "The combined .keras file.")
flags.mark_flags_as_required(["output"])


def combine(sources):
    """`{factor name: model}` → one model holding each factor's weights from its model."""
    first = next(iter(sources.values()))
    combined = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(first))
    expected = list(getattr(combined, "factor_models", {}))
    if sorted(sources) != sorted(expected):
        raise ValueError(
            f"Give every factor of the {type(combined).__name__} once: {expected}. "
            f"Received: {sorted(sources)}."
        )
    for name, model in sources.items():
        combined.copy_factor_weights(name, model)
    return combined


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    console.quiet_logs()
    sources, loaded = {}, {}
    for spec in _FACTORS.value:
        name, sep, path = spec.partition("=")
        if not sep or not path:
            raise app.UsageError(f"--factor must be NAME=PATH.keras. Received: {spec!r}.")
        if name in sources:
            raise app.UsageError(f"--factor {name!r} given twice.")
        if path not in loaded:
            loaded[path] = keras.saving.load_model(path)
        sources[name] = loaded[path]
    if not sources:
        raise app.UsageError("Give --factor=NAME=PATH.keras for every factor.")
    try:
        combined = combine(sources)
    except ValueError as error:
        raise app.UsageError(str(error)) from error
    temporary = f"{_OUTPUT.value}.tmp.keras"
    combined.save(temporary)
    tf.io.gfile.rename(temporary, _OUTPUT.value, overwrite=True)
    print(f"wrote {_OUTPUT.value} from {', '.join(_FACTORS.value)}")


if __name__ == "__main__":
    app.run(main)
