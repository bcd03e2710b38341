"""Compiling the C target for the loader: flags, the compiler, a cache keyed by the source and flags.

``compile_shared`` compiles the library (``NAME.c``) and ``compile_extension``
the CPython extension binding (``NAME_ext.c`` with ``NAME.c``, one shared
object), each once per text, compiler and flags into a cache directory keyed
by their hash (``$SYMCONV_CACHE``, else ``$XDG_CACHE_HOME/symconv``, else
``~/.cache/symconv``); the extension's key also holds the Python (version, ABI)
and NumPy version it is built for. Both compile with
``-O3 -march=native -ffp-contract=fast`` (vectorised for this CPU, FMA on; the
key then holds the CPU model, so a cache shared between machines never hands
out code built for another CPU); ``SYMCONV_NATIVE=0`` compiles portable
``-O3`` code instead.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from symconv.codegen.backend import Files
from symconv.errors import CodegenError

OPTIMIZE = ("-O3", "-std=c99")
SHARED = ("-fPIC", "-shared")
PORTABLE_CFLAGS = (*OPTIMIZE, *SHARED)
NATIVE_CFLAGS = ("-march=native", "-ffp-contract=fast")  # this CPU's vector units, FMA contraction on
OPENMP_CFLAG = "-fopenmp"  # code generated with threads > 1


T = TypeVar("T")


class MissingHeaders(CodegenError):
    """Python.h is not installed: no extension binding can be built (the ctypes binding still works)."""


def cflags(threads: int = 1) -> tuple[str, ...]:
    """The loader's compile flags: ``-O3`` tuned for this CPU, or portable with ``SYMCONV_NATIVE=0``.

    ``-std=c99`` alone turns FMA contraction off (ISO mode); ``-ffp-contract=fast``
    turns it back on. Code generated for more than one thread adds ``-fopenmp``.
    The flags are part of the cache key.
    """
    native = os.environ.get("SYMCONV_NATIVE", "1").strip() != "0"
    flags = (*PORTABLE_CFLAGS, *NATIVE_CFLAGS) if native else PORTABLE_CFLAGS
    return (*flags, OPENMP_CFLAG) if threads > 1 else flags


def library_name(name: str) -> str:
    return f"lib{name}.so"


def extension_filename(module: str) -> str:
    """The file name this Python imports the extension module ``module`` from (``module.cpython-….so``)."""
    return module + str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def include_dirs() -> tuple[Path, Path]:
    """The folders of ``Python.h`` (installed or not) and of NumPy's C headers, for this Python."""
    return Path(sysconfig.get_paths()["include"]), Path(np.get_include())


def python_headers() -> tuple[Path, Path]:
    """The folders of ``Python.h`` and of NumPy's C headers; MissingHeaders if Python.h is absent."""
    include, numpy = include_dirs()
    if not (include / "Python.h").is_file():
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        raise MissingHeaders(
            f"Python.h is not in {include}: install Python's headers (e.g. apt-get install "
            f"python{version}-dev, or python3-dev; dnf install python3-devel) for the extension binding"
        )
    return include, numpy


@cache
def cpu_model() -> str:
    """This CPU, as -march=native sees it: its model name and feature flags (else the platform's words)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"{platform.machine()} {platform.processor()}"
    first = text.split("\n\n")[0]
    keep = ("model name", "flags", "Features", "CPU implementer", "CPU part", "cpu model", "isa")
    lines = [line for line in first.splitlines() if line.split(":")[0].strip() in keep]
    return "\n".join(lines) or f"{platform.machine()} {platform.processor()}"


def cache_dir() -> Path:
    """The cache directory, absolute (a relative ``$SYMCONV_CACHE`` is taken from the current one)."""
    if os.environ.get("SYMCONV_CACHE"):
        return Path(os.environ["SYMCONV_CACHE"]).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base) / "symconv").resolve()


def compiler() -> list[str]:
    """``$CC`` split as make splits it (``ccache gcc``, ``gcc -m32``), else ``cc``."""
    given = os.environ.get("CC", "").strip()
    try:
        words = shlex.split(given or "cc")
    except ValueError as error:
        raise CodegenError(f"CC={given!r} cannot be split into words ({error}): fix its quotes") from None
    if shutil.which(words[0]) is None:
        source = f" (from CC={given!r})" if given else ""
        raise CodegenError(f"no C compiler: {words[0]!r}{source} is not on PATH; install one "
                           "(e.g. apt-get install gcc) or set CC")
    return words


def load_cached(build: Callable[[], Path], load: Callable[[Path], T]) -> T:
    """``load(build())``; a cached file that does not load (truncated, damaged) is deleted and built
    again, once."""
    path = build()
    try:
        return load(path)
    except (OSError, ImportError):
        path.unlink(missing_ok=True)
    path = build()
    try:
        return load(path)
    except (OSError, ImportError) as error:
        raise CodegenError(f"{path} was just built but does not load: {error}") from None


def compile_shared(code: Files) -> Path:
    """The shared library of ``code``'s C source (``NAME.c``), compiled once and cached by hash."""
    name = code.config.name
    sources = _sources(code, (f"{name}.c", f"{name}.h"))
    return _build(sources, [f"{name}.c"], library_name(name), (), (), code.config.threads)


def compile_extension(code: Files, module: str) -> Path:
    """The extension module ``module`` (``module.c`` with ``NAME.c``), compiled once and cached by hash.

    MissingHeaders when Python.h is not installed.
    """
    name = code.config.name
    sources = _sources(code, (f"{name}.c", f"{name}.h", f"{module}.c"))
    python, numpy = python_headers()
    key = (sys.version, sys.implementation.cache_tag or "", extension_filename(module), np.__version__)
    return _build(sources, [f"{module}.c", f"{name}.c"], extension_filename(module),
                  ("-I", str(python), "-I", str(numpy)), key, code.config.threads)


def _sources(code: Files, names: Sequence[str]) -> dict[str, str]:
    missing = [n for n in names if n not in code.files]
    if missing:
        files = ", ".join(sorted(code.files))
        raise CodegenError(f"{', '.join(missing)} missing: the C target's files here are {files}")
    return {n: code.files[n] for n in names}


def _build(sources: Mapping[str, str], compile: Sequence[str], target_name: str, extra: Sequence[str],
           key: Sequence[str], threads: int) -> Path:
    """``target_name`` compiled from ``compile`` (of ``sources``), in the cache under the hash of it all."""
    cc = compiler()
    flags = (*cflags(threads), *extra)
    shown = " ".join(cc)
    digest = hashlib.sha256()
    for filename in sorted(sources):
        digest.update(filename.encode() + b"\0" + sources[filename].encode() + b"\0")
    digest.update(" ".join((*cc, *flags)).encode())
    for part in (*key, *((cpu_model(),) if "-march=native" in flags else ())):
        digest.update(b"\0" + part.encode())
    target = cache_dir() / digest.hexdigest()[:24] / target_name
    if target.exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        workspace = tempfile.TemporaryDirectory(dir=target.parent)
    except OSError as error:
        raise CodegenError(f"the compile cache {cache_dir()} cannot be written ({error.strerror or error}): "
                           "set SYMCONV_CACHE to a writable directory") from None
    with workspace as tmp:
        for filename, text in sources.items():
            (Path(tmp) / filename).write_text(text, encoding="utf-8")
        built = Path(tmp) / target.name
        result = subprocess.run(
            [*cc, *flags, "-o", str(built), *compile, "-lm"],
            cwd=tmp, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[:5]
            hint = (f"; this code runs on {threads} threads and needs OpenMP ({OPENMP_CFLAG}): "
                    "gcc has it, clang needs libomp-dev; or generate with threads=1"
                    if OPENMP_CFLAG in flags else "")
            raise CodegenError(f"the C compiler ({shown}) failed on {', '.join(compile)}: "
                               + " | ".join(detail) + hint)
        os.replace(built, target)  # atomic: a concurrent loader sees the whole library or none
    return target
