"""Builds `saved_model_runner` (saved_model_runner.cc) against the installed TensorFlow
wheel, once per source, TensorFlow version and compiler: the C++ loader of the tests.

    python export/cc_loader/build.py      # prints the path of the (cached) binary

The wheel ships the headers (`tf.sysconfig.get_include()`) and `libtensorflow_cc.so.2` /
`libtensorflow_framework.so.2` (`tf.sysconfig.get_lib()`). `libtensorflow_cc` is linked
with `--no-as-needed`: the program calls nothing in it by name, and without it the
loader finds no session factory ("No session factory registered"). The binary lives in
`$TPC_CC_LOADER_CACHE`, else `$XDG_CACHE_HOME/tf_pixelcnn/cc_loader` (default
`~/.cache/...`), under a name holding the hash of everything that went into it; a build
is written next to it and renamed, so concurrent builds never see half a binary.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import tensorflow as tf

SOURCE = pathlib.Path(__file__).resolve().with_name("saved_model_runner.cc")
BINARY_NAME = "saved_model_runner"


class CompilerNotFoundError(RuntimeError):
    """No C++ compiler: neither `$CXX` nor g++, c++ or clang++ on PATH."""


def find_compiler() -> str | None:
    """The C++ compiler to use: `$CXX`, else the first of g++, c++, clang++ on PATH."""
    candidates = [os.environ["CXX"]] if os.environ.get("CXX") else ["g++", "c++", "clang++"]
    for candidate in candidates:
        path = shutil.which(candidate)
        if path:
            return path
    return None


def default_cache_dir() -> pathlib.Path:
    if os.environ.get("TPC_CC_LOADER_CACHE"):
        return pathlib.Path(os.environ["TPC_CC_LOADER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "tf_pixelcnn" / "cc_loader"


def build_command(compiler: str, output: str | os.PathLike) -> list[str]:
    """The compile-and-link command: TensorFlow's own flags (include path, C++17, the
    `_GLIBCXX_USE_CXX11_ABI` of the wheel), both libraries, and an rpath to them."""
    lib = tf.sysconfig.get_lib()
    return [
        compiler, *tf.sysconfig.get_compile_flags(), "-O1", "-Wno-deprecated-declarations",
        str(SOURCE), "-o", str(output), f"-L{lib}", "-Wl,--no-as-needed",
        "-l:libtensorflow_cc.so.2", "-l:libtensorflow_framework.so.2", f"-Wl,-rpath,{lib}",
    ]  # fmt: skip


def cache_key(compiler: str) -> str:
    """Hash of the source, the TensorFlow version and library, the command and the
    compiler's version."""
    version = subprocess.run(
        [compiler, "--version"], capture_output=True, text=True, check=False
    ).stdout
    digest = hashlib.sha256(SOURCE.read_bytes())
    for part in (tf.__version__, tf.sysconfig.get_lib(), version,
                 " ".join(build_command(compiler, "OUT"))):  # fmt: skip
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:16]


def build_runner(cache_dir: str | os.PathLike | None = None, compiler: str | None = None,
                 timeout: float = 900) -> pathlib.Path:  # fmt: skip
    """The path of `saved_model_runner`, compiled now unless already cached.

    Raises:
        CompilerNotFoundError: no C++ compiler.
        RuntimeError: the compiler failed (with its command and the end of its output).
    """
    compiler = compiler or find_compiler()
    if compiler is None:
        raise CompilerNotFoundError(
            f"No C++ compiler: set $CXX or put g++, c++ or clang++ on PATH to build {SOURCE.name}."
        )
    cache_dir = pathlib.Path(cache_dir) if cache_dir else default_cache_dir()
    binary = cache_dir / f"{BINARY_NAME}-{cache_key(compiler)}"
    if binary.exists():
        return binary
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{binary.name}.", dir=cache_dir)
    os.close(handle)
    command = build_command(compiler, partial)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                check=False)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(
                f"Building {SOURCE.name} failed (exit {result.returncode}).\nCommand: "
                f"{' '.join(command)}\n{(result.stdout + result.stderr)[-4000:]}"
            )
        os.replace(partial, binary)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return binary


if __name__ == "__main__":
    print(build_runner(sys.argv[1] if len(sys.argv) > 1 else None))
