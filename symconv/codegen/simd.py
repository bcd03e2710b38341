"""The x86 vectors the generated C uses, stated once: their types, intrinsics and preprocessor tests.

Every SIMD path of the C target sits under one of :data:`GUARDS` and falls back
to portable C99 (the same loops on plain scalars), so a file compiles with or
without ``-march``: AVX-512 (512-bit vectors, 32 registers) where the compiler
targets it, else AVX2+FMA (256-bit, 16 registers), else none.
"""

from __future__ import annotations

# the preprocessor test of each vector width's path (512: AVX-512F, 256: AVX2; both with FMA)
GUARDS = {
    512: "defined(__AVX512F__) && defined(__FMA__)",
    256: "defined(__AVX2__) && defined(__FMA__)",
}
INCLUDE = "#include <immintrin.h>"
# (vector type, intrinsic suffix) of a 512-, 256- and 128-bit vector of each C type
VECTORS = {
    "float": {512: ("__m512", "ps"), 256: ("__m256", "ps"), 128: ("__m128", "ps")},
    "double": {512: ("__m512d", "pd"), 256: ("__m256d", "pd"), 128: ("__m128d", "pd")},
}
PREFIX = {512: "_mm512", 256: "_mm256", 128: "_mm"}  # the intrinsics' prefix of each width
CACHE_LINE = 64  # bytes: one 512-bit vector; buffers aligned to it suit every path


def lanes(T: str, bits: int) -> int:
    """The lanes of a ``bits``-wide vector of the C type ``T``."""
    return bits // (32 if T == "float" else 64)


def intrinsic(name: str, T: str, bits: int) -> str:
    """``_mm256_loadu_ps`` for ``("loadu", "float", 256)``."""
    return f"{PREFIX[bits]}_{name}_{VECTORS[T][bits][1]}"


def vector_type(T: str, bits: int) -> str:
    return VECTORS[T][bits][0]


def per_line(T: str) -> int:
    """The elements of the C type ``T`` in a cache line."""
    return lanes(T, CACHE_LINE * 8)
