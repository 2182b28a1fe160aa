"""One compile cache (`sampling.compiled`): `tpc.sample`, `tpc.complete` and the
auxiliary-variable models' `sample` / `sample_given` reuse one entry per model and
options, entries go with their model, and other options are other entries."""

import gc
import weakref

import numpy as np

import tf_pixelcnn as tpc
from tf_pixelcnn.sampling import compiled
from tf_pixelcnn.sampling.sampler_function import SamplerFunction, XlaOrReference


def _gated(**kwargs):
    return tpc.GatedPixelCNN((3, 3, 1), num_layers=2, filters=4, kernel_size=3, **kwargs)


def _grayscale():
    return tpc.GrayscalePixelCNN(
        (2, 3, 3), num_levels=32, grayscale_levels=4, num_layers=1, filters=4,
        grayscale_num_layers=1, grayscale_filters=4, kernel_size=3, num_mixture_components=2,
        condition_filters=2,
    )  # fmt: skip


def _functions(model):
    return {k: v for k, v in compiled.entries(model).items() if isinstance(v, SamplerFunction)}


def test_equal_options_reuse_one_compiled_function():
    model = _gated(num_levels=4)
    tpc.sample(model, num_samples=2, seed=(1, 2), jit_compile=False)
    tpc.sample(model, num_samples=2, seed=(1, 2), jit_compile=False, temperature=0.5)
    assert list(_functions(model)) == [("cached", False)]  # the temperature is an argument
    function = _functions(model)[("cached", False)]
    assert function.experimental_get_tracing_count() == 1
    tpc.sample(model, num_samples=3, seed=(3, 4), jit_compile=False)
    assert _functions(model)[("cached", False)] is function


def test_model_sample_and_tpc_sample_share_one_entry():
    model = _grayscale()
    by_model = model.sample(num_samples=2, seed=(1, 2), jit_compile=False)
    (key,) = _functions(model)
    assert key == ("factored", "cached", 0.0, "sample", False)
    function = _functions(model)[key]
    traces = function.experimental_get_tracing_count()
    by_front_end = tpc.sample(model, num_samples=2, seed=(1, 2), jit_compile=False)
    np.testing.assert_array_equal(by_model, by_front_end)
    assert list(_functions(model)) == [key] and _functions(model)[key] is function
    assert function.experimental_get_tracing_count() == traces
    # The executor is chosen from the model's width, as for every sampler (it was not).
    assert function.filters == model.filters and function.automatic
    xhat = model.auxiliary(by_model)
    model.sample_given(xhat, seed=(5, 6), jit_compile=False)
    model.sample_given(xhat, seed=(7, 8), jit_compile=False)
    given = ("given", (2, 3, 1), "cached", 0.0, "sample", False)
    assert set(_functions(model)) == {key, given}
    assert _functions(model)[given].experimental_get_tracing_count() == 1


def test_other_options_are_other_entries():
    model = _gated(num_levels=16, num_mixture_components=2)
    for reduction, mode in ((0.0, "sample"), (0.5, "sample"), (0.0, "map"), (0.5, "sample")):
        tpc.sample(model, num_samples=1, jit_compile=False, log_scale_reduction=reduction,
                   mixture_mode=mode)  # fmt: skip
    tpc.sample(model, num_samples=1, jit_compile=False, method="naive")
    tpc.complete(model, np.zeros([1, 3, 3, 1], np.int32), known_mask=1, jit_compile=False)
    assert set(_functions(model)) == {
        ("mixture", "cached", 0.0, "sample", False),
        ("mixture", "cached", 0.5, "sample", False),
        ("mixture", "cached", 0.0, "map", False),
        ("mixture", "naive", 0.0, "sample", False),
        ("complete", False),
    }
    assert not _functions(model)[("mixture", "naive", 0.0, "sample", False)].single_threaded


def test_the_default_path_keeps_its_xla_choice_in_the_same_cache():
    model = _gated(num_levels=4)
    tpc.sample(model, num_samples=1)
    tpc.sample(model, num_samples=2)
    assert set(compiled.entries(model)) == {("cached", True), ("xla_or_reference", "cached")}
    assert isinstance(compiled.entries(model)[("xla_or_reference", "cached")], XlaOrReference)


def test_entries_go_with_their_model():
    model, other = _gated(num_levels=4), _gated(num_levels=4)
    tpc.sample(model, num_samples=1, jit_compile=False)
    tpc.sample(other, num_samples=1, jit_compile=False)
    grayscale = _grayscale()
    grayscale.sample(num_samples=1, jit_compile=False)
    references = [weakref.ref(m) for m in (model, grayscale)]
    assert all(r() in compiled._entries for r in references)
    del model, grayscale
    gc.collect()
    assert [r() for r in references] == [None, None]
    assert other in compiled._entries  # the others' entries stay
    assert len(_functions(other)) == 1
