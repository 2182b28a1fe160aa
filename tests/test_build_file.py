"""BUILD stays in step with the tree: one rule per module, test and binary, true deps.

After adding or moving a file, regenerate BUILD with `python tests/test_build_file.py`.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINARY_DIRECTORIES = ("launch", "export", "benchmarks")


def read_build_rules():
    rules = {}

    def rule(kind):
        def define(name, srcs, deps=(), **kwargs):
            assert name not in rules, f"BUILD defines {name!r} twice"
            rules[name] = {"kind": kind, "srcs": list(srcs), "deps": list(deps), **kwargs}

        return define

    source = (ROOT / "BUILD").read_text()
    namespace = {kind: rule(kind) for kind in ("py_library", "py_test", "py_binary")}
    namespace["glob"] = lambda patterns: []
    exec(compile(source, "BUILD", "exec"), namespace)  # Starlark here is a Python subset
    return rules


def python_files(*directories):
    return sorted(
        str(path.relative_to(ROOT))
        for directory in directories
        for path in (ROOT / directory).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def expected_kind(path):
    if path.startswith("tests/") and pathlib.Path(path).name.startswith("test_"):
        return "py_test"
    is_script = '__name__ == "__main__"' in (ROOT / path).read_text()
    if path.split("/")[0] in BINARY_DIRECTORIES and is_script:
        return "py_binary"
    return "py_library"


def target(path):
    return "//:" + path[: -len(".py")]


def local_imports(path):
    """The repository modules `path` imports, as files."""
    tree = ast.parse((ROOT / path).read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    files = set()
    directory = str(pathlib.Path(path).parent)
    for module in modules:
        sibling = f"{directory}/{module}.py"  # scripts import modules next to them
        if directory in BINARY_DIRECTORIES and (ROOT / sibling).exists():
            files.add(sibling)
            continue
        if module.split(".")[0] not in ("tf_pixelcnn", "tests", "launch", "export", "benchmarks"):
            continue
        candidate = module.replace(".", "/")
        if (ROOT / f"{candidate}.py").exists():
            files.add(f"{candidate}.py")
        elif (ROOT / candidate / "__init__.py").exists():
            files.add(f"{candidate}/__init__.py")
    files.discard(path)
    return files


FILES = python_files("tf_pixelcnn", "tests", *BINARY_DIRECTORIES)
RULES = read_build_rules() if (ROOT / "BUILD").exists() else {}


def test_every_python_file_has_exactly_one_rule_of_its_kind():
    by_source = {}
    for name, rule in RULES.items():
        assert len(rule["srcs"]) == 1, f"{name}: one source per rule"
        by_source[rule["srcs"][0]] = (name, rule)
    missing = [path for path in FILES if path not in by_source]
    assert not missing, f"BUILD does not list: {missing}"
    stale = [path for path in by_source if not (ROOT / path).exists()]
    assert not stale, f"BUILD lists files that do not exist: {stale}"
    for path in FILES:
        name, rule = by_source[path]
        assert name == path[: -len(".py")], (name, path)
        assert rule["kind"] == expected_kind(path), (path, rule["kind"])


@pytest.mark.parametrize("path", FILES)
def test_deps_are_the_imports(path):
    rule = RULES[path[: -len(".py")]]
    assert sorted(rule["deps"]) == sorted(target(f) for f in local_imports(path))


HEADER = """\
# Bazel targets of tf_pixelcnn: a py_library per module, a py_test per test file and a
# py_binary per binary. tests/test_build_file.py keeps this file in step with the tree
# (every file listed, deps equal to its imports); `python tests/test_build_file.py`
# regenerates it. Third-party packages (tensorflow, keras, tensorflow-datasets, numpy,
# absl-py, scikit-learn, ml_collections, constriction) come from the Python environment.
"""


def render_build():
    rules = []
    for path in FILES:
        kind = expected_kind(path)
        lines = [f"{kind}(", f'    name = "{path[:-3]}",', f'    srcs = ["{path}"],']
        deps = sorted(target(f) for f in local_imports(path))
        if deps:
            lines += ["    deps = ["] + [f'        "{d}",' for d in deps] + ["    ],"]
        if kind in ("py_binary", "py_test"):
            lines.append(f'    main = "{path}",')
        rules.append("\n".join(lines + [")"]))
    return HEADER + "\n" + "\n\n".join(rules) + "\n"


if __name__ == "__main__":
    (ROOT / "BUILD").write_text(render_build())
