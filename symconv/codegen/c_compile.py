"""Compiling the C target for the loader: flags, the compiler, a cache keyed by the source and flags.

``compile_shared`` compiles the source once per text, compiler and flags into
a cache directory keyed by its hash (``$SYMCONV_CACHE``, else
``$XDG_CACHE_HOME/symconv``, else ``~/.cache/symconv``). It compiles with
``-O3 -march=native -ffp-contract=fast`` (vectorised for this CPU, FMA on);
``SYMCONV_NATIVE=0`` compiles portable ``-O3`` code instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from symconv.codegen.backend import Files
from symconv.errors import CodegenError

PORTABLE_CFLAGS = ("-O3", "-std=c99", "-fPIC", "-shared")
NATIVE_CFLAGS = ("-march=native", "-ffp-contract=fast")  # this CPU's vector units, FMA contraction on
OPENMP_CFLAG = "-fopenmp"  # code generated with threads > 1


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


def cache_dir() -> Path:
    if os.environ.get("SYMCONV_CACHE"):
        return Path(os.environ["SYMCONV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symconv"


def compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise CodegenError(
            f"no C compiler: {cc!r} is not on PATH; install one (e.g. apt-get install gcc) or set CC"
        )
    return cc


def compile_shared(code: Files) -> Path:
    """The shared library of ``code``'s C source, compiled once and cached by hash."""
    cc = compiler()
    flags = cflags(code.config.threads)
    name = code.config.name
    sources = {f: text for f, text in code.files.items() if f.endswith((".c", ".h"))}
    digest = hashlib.sha256()
    for filename in sorted(sources):
        digest.update(filename.encode() + b"\0" + sources[filename].encode() + b"\0")
    digest.update(" ".join((cc, *flags)).encode())
    target = cache_dir() / digest.hexdigest()[:24] / library_name(name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        for filename, text in sources.items():
            (Path(tmp) / filename).write_text(text, encoding="utf-8")
        built = Path(tmp) / target.name
        result = subprocess.run(
            [cc, *flags, "-o", str(built), f"{name}.c", "-lm"],
            cwd=tmp, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[:5]
            hint = (f"; this code runs on {code.config.threads} threads and needs OpenMP ({OPENMP_CFLAG}): "
                    "gcc has it, clang needs libomp-dev; or generate with threads=1"
                    if OPENMP_CFLAG in flags else "")
            raise CodegenError(f"the C compiler ({cc}) failed on {name}.c: " + " | ".join(detail) + hint)
        os.replace(built, target)  # atomic: a concurrent loader sees the whole library or none
    return target
