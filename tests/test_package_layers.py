"""The package imports in one direction: each part imports only parts of lower layers.

    training                       the loop, checkpoints, evaluation
    compression, serving           entropy coding; SavedModel export
    models                         GatedPixelCNN, PixelCNN, auto-encoders, Grayscale/Pyramid
    sampling                       samplers (through the TwoStackModel protocol)
    layers                         masked convolutions, gated blocks, conditioning
    utils                          PNG grids and levels, progress line, float32 copies
    data                           input pipelines
    distributions, grayscale_levels   softmax / logistic mixtures, random streams, x̂

Read from the import statements of every module (no import order can hide a cycle).
"""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tf_pixelcnn"
LAYERS = (
    ("distributions", "grayscale_levels"),
    ("data",),
    ("utils",),
    ("layers",),
    ("sampling",),
    ("models",),
    ("compression", "serving"),
    ("training",),
)
LEVEL = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def part_of(path: pathlib.Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def imported_parts(path: pathlib.Path):
    """`(line, part)` for every `tf_pixelcnn.<part>` the module imports."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "tf_pixelcnn" and len(parts) > 1 and parts[1] in LEVEL:
                yield node.lineno, parts[1]


def test_every_part_of_the_package_is_in_a_layer():
    parts = {part_of(p) for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem != "__init__"}
    assert parts <= set(LEVEL), sorted(parts - set(LEVEL))


def test_imports_go_down_the_layers_only():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent == PACKAGE and path.stem == "__init__":
            continue  # the package's public names: everything
        source = part_of(path)
        if source not in LEVEL:
            continue
        for line, target in imported_parts(path):
            if target != source and LEVEL[target] >= LEVEL[source]:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({source}) imports {target}")
    assert not upward, "\n".join(upward)


def test_each_low_layer_imports_alone_in_a_fresh_interpreter():
    """The lowest layers load without the parts above them (checked in sys.modules)."""
    code = (
        "import sys, importlib\n"
        "sys.modules['tf_pixelcnn'] = type(sys)('tf_pixelcnn')\n"  # skip the package __init__
        f"sys.modules['tf_pixelcnn'].__path__ = [{str(PACKAGE)!r}]\n"
        "for name in ('distributions.categorical', 'distributions.logistic_mixture',\n"
        "             'distributions.truncated_logistic_mixture', 'distributions.random_stream',\n"
        "             'sampling.cached', 'sampling.complete'):\n"
        "    importlib.import_module('tf_pixelcnn.' + name)\n"
        "loaded = sorted({m.split('.')[1] for m in sys.modules if m.startswith('tf_pixelcnn.')})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(result.stdout.strip().splitlines()[-1].split(","))
    assert loaded <= {"distributions", "grayscale_levels", "layers", "sampling", "utils", "data"}
    assert "models" not in loaded and "serving" not in loaded and "training" not in loaded
