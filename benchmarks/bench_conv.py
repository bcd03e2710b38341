"""Benchmark: generated C and NumPy against PyTorch CPU, an einsum reference and a naive C loop.

The benchmark of the issue "Generated code as fast as the best convolution
libraries". For every layer (shapes a-g of the issue, plus a 3-D and a 1-D one)
and every function (forward, grad_input, grad_weight, grad_bias) it runs four
named stages:

1. build contenders: the generated C (one thread, and two threads with
   ``generate(..., threads=2)``), the generated NumPy, PyTorch CPU
   (``torch.nn.functional.convNd`` and ``torch.nn.grad.convNd_input/_weight``,
   ``dy.sum`` for the bias; one thread, and two for the 2-thread C), the
   ``sliding_window_view`` + ``einsum`` reference, and a naive C loop written
   below and compiled once by this script (the independent naive baseline).
   Generated code is specialised to the layer (its spec fixes the input size).
2. check: every contender's result against PyTorch in float64 on the same
   data (grad_bias: against the exact sum, ``math.fsum``); the max abs error of each contender's result (in ``--dtype``) is
   reported, and one that is far off is marked wrong and fails the run.
3. time: contenders interleaved in the same rounds (round r runs each once,
   the order rotated by r), after a warm-up that also picks how many calls
   one sample holds (so that a sample lasts ``--min-sample`` seconds); the
   median over rounds.
4. report: per layer x function the median time, GFLOP/s (2 x MACs / t; the
   gradients have the forward's MACs; grad_bias counts its additions), the
   ratio to PyTorch on as many threads (t_torch / t, above 1 = faster than
   PyTorch) and the max error; the geometric means of the issue's "done when" targets, each PASS or
   MISS (including the 2-thread speed-up on f); the binding overhead of the
   generated C on layer a's forward: the extension binding (what ``load()``
   returns) and the ctypes binding against the raw C call, timed both inside C
   (a loop of calls in a small harness compiled here) and as one ctypes call
   with its arguments prepared; the machine.

Usage:
    python benchmarks/bench_conv.py [--shapes a,d,f] [--dtype float32|float64] [--quick]
                                    [--rounds N] [--min-sample SECONDS]
                                    [--markdown FILE] [--plot FILE] [--require-torch]

Exit status: 0, or 1 when a contender failed the check, 2 for a missing PyTorch
under ``--require-torch``. A missed target does not fail the run: it is a figure.
Timings on a shared machine are noisy; 2-thread figures need both cores free
(an OpenMP team on a busy core can be many times slower than one thread).

PyTorch and matplotlib are the optional extra ``bench`` (``pip install -e '.[bench]'``).
Without PyTorch the check uses the einsum reference in float64, the PyTorch
column and its targets are skipped (``--require-torch``: exit 2 instead).
"""

from __future__ import annotations

import os

# BLAS on one thread, set before NumPy loads it (not when imported by tests). OMP_NUM_THREADS stays as
# it is: PyTorch is set to one thread by torch.set_num_threads, and with OMP_NUM_THREADS=1 libgomp stops
# keeping idle threads spinning between calls, which slowed the generated 2-thread C (measured on f).
if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse
import ctypes
import gc
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from symconv import ConvSpec, generate
from symconv.codegen.c_backend import load_ctypes, load_extension
from symconv.codegen.c_compile import cflags, compile_shared, compiler

FUNCTIONS = ("forward", "grad_input", "grad_weight", "grad_bias")
TORCH = "PyTorch"
C1, C2, NUMPY, EINSUM, NAIVE = "C", "C 2 threads", "NumPy", "einsum", "naive C"
TORCH2 = "PyTorch 2 threads"
BASES = (TORCH, TORCH2)  # the ratios' denominators: PyTorch at the contender's thread count


# -- the layers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One layer of the benchmark: batch, channels, input size and the spec's hyper-parameters."""

    key: str
    batch: int
    c_in: int
    size: tuple[int, ...]
    c_out: int
    k: int
    s: int = 1
    p: int = 0
    d: int = 1
    groups: int = 1
    note: str = ""

    @property
    def spec(self) -> ConvSpec:
        return ConvSpec(
            input_size=self.size, kernel_size=self.k, stride=self.s, padding=self.p, dilation=self.d,
            in_channels=self.c_in, out_channels=self.c_out, groups=self.groups,
        )

    def describe(self) -> str:
        size = "×".join(str(n) for n in self.size)
        extra = "".join(f" {n}{v}" for n, v, default in (("s", self.s, 1), ("p", self.p, 0), ("d", self.d, 1),
                                                            ("g", self.groups, 1)) if v != default)
        return f"{len(self.size)}-D N{self.batch} {self.c_in}→{self.c_out} {size} k{self.k}{extra}{self.note}"


SHAPES = [
    Shape("a", 1, 1, (28, 28), 1, 3),
    Shape("b", 8, 3, (32, 32), 16, 3, p=1),
    Shape("c", 8, 16, (32, 32), 16, 3, p=1, d=2),
    Shape("c′", 1, 1, (64, 64), 1, 3, d=2),
    Shape("d", 8, 32, (32, 32), 32, 3, p=1, groups=32, note=" (depthwise)"),
    Shape("e", 8, 32, (16, 16), 64, 1, note=" (pointwise)"),
    Shape("f", 4, 64, (56, 56), 64, 3, p=1),
    Shape("g", 8, 16, (32, 32), 32, 3, s=2, p=1, groups=4),
    Shape("3d", 2, 4, (16, 16, 16), 4, 3, p=1),
    Shape("1d", 8, 8, (1024,), 8, 5, p=2),
]
TARGET_SHAPES = ("a", "b", "c", "c′", "d", "e", "f", "g")  # the "done when" geomeans
SHAPE_ALIASES = {"c'": "c′", "cp": "c′"}


def flops(spec: ConvSpec, batch: int, function: str) -> int:
    """Floating-point operations of one call: 2·MACs (the gradients have the forward's), grad_bias its additions.

    >>> flops(ConvSpec(input_size=(4, 4), kernel_size=3), 2, "forward")
    144
    >>> flops(ConvSpec(input_size=(4, 4), kernel_size=3), 2, "grad_bias")
    8
    """
    if function == "grad_bias":
        return batch * spec.out_channels * math.prod(spec.output_size)
    return 2 * batch * spec.macs


def geomean(values: Sequence[float]) -> float:
    """The geometric mean (nan for no values).

    >>> round(geomean([0.5, 2.0, 4.0]), 6)
    1.259921
    """
    if not values:
        return math.nan
    return math.exp(statistics.fmean(math.log(v) for v in values))


# -- the data of one layer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A layer's arrays in the benchmark's dtype (C-contiguous, PyTorch layouts)."""

    shape: Shape
    spec: ConvSpec
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    dy: np.ndarray

    @classmethod
    def make(cls, shape: Shape, dtype: str, seed: int = 0) -> Problem:
        spec = shape.spec
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((shape.batch, spec.in_channels, *spec.sizes)).astype(dtype)
        w = rng.standard_normal((spec.out_channels, spec.group_in, *spec.kernel)).astype(dtype)
        b = rng.standard_normal(spec.out_channels).astype(dtype)
        dy = rng.standard_normal((shape.batch, spec.out_channels, *spec.output_size)).astype(dtype)
        return cls(shape, spec, x, w, b, dy)

    def as_float64(self) -> Problem:
        """The same values in float64: the check's exact inputs."""
        f = np.float64
        return Problem(self.shape, self.spec, self.x.astype(f), self.w.astype(f), self.b.astype(f),
                       self.dy.astype(f))


# -- contenders -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    """One implementation of the four functions, arguments bound: each call is ready to time."""

    name: str
    calls: Mapping[str, Callable[[], Any]]
    to_numpy: Callable[[Any], np.ndarray] = np.asarray
    # Entered around every timed sample, outside the timing (e.g. PyTorch switched to 2 threads
    # and back: switching per call would time the switch).
    session: Callable[[], AbstractContextManager[Any]] = nullcontext
    base: str = TORCH  # the contender its ratio is taken to (the same thread count)


def generated(name: str, problem: Problem, target: str, dtype: str, **options: Any) -> Contender:
    """The generated code of ``target`` for the layer (``options``: e.g. ``threads``)."""
    k = generate(problem.spec, target, dtype, **options).load()
    base = TORCH2 if options.get("threads", 1) != 1 else TORCH
    x, w, b, dy, size = problem.x, problem.w, problem.b, problem.dy, problem.spec.sizes
    return Contender(name, {
        "forward": lambda: k.forward(x, w, b),
        "grad_input": lambda: k.grad_input(dy, w, size),
        "grad_weight": lambda: k.grad_weight(x, dy),
        "grad_bias": lambda: k.grad_bias(dy),
    }, base=base)


def pytorch(torch: Any, problem: Problem, name: str = TORCH, threads: int = 1) -> Contender:
    """PyTorch CPU: ``convNd`` and ``torch.nn.grad.convNd_input/_weight``; grad_bias is ``dy.sum``."""
    spec, nd = problem.spec, problem.spec.ndim
    conv = getattr(torch.nn.functional, f"conv{nd}d")
    conv_input = getattr(torch.nn.grad, f"conv{nd}d_input")
    conv_weight = getattr(torch.nn.grad, f"conv{nd}d_weight")
    x, w, b, dy = (torch.from_numpy(a) for a in (problem.x, problem.w, problem.b, problem.dy))
    hyper = {"stride": spec.strides, "padding": spec.pad_before, "dilation": spec.dilations,
             "groups": spec.groups}
    positions = tuple(range(2, 2 + nd))

    @contextmanager
    def session() -> Iterator[None]:
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(1)  # the process runs PyTorch on one thread (main sets it)

    return Contender(name, {
        "forward": lambda: conv(x, w, b, **hyper),
        "grad_input": lambda: conv_input(tuple(x.shape), w, dy, **hyper),
        "grad_weight": lambda: conv_weight(x, tuple(w.shape), dy, **hyper),
        "grad_bias": lambda: dy.sum(dim=(0, *positions)),
    }, to_numpy=lambda t: t.detach().numpy(), session=session if threads != 1 else nullcontext,
        base=TORCH if threads == 1 else TORCH2)


def einsum_reference(problem: Problem) -> Contender:
    """The vectorised NumPy reference: ``sliding_window_view`` + ``einsum``."""
    spec, x, w, b, dy = problem.spec, problem.x, problem.w, problem.b, problem.dy
    positions = tuple(range(2, 2 + spec.ndim))
    return Contender(EINSUM, {
        "forward": lambda: ref_forward(x, w, b, spec),
        "grad_input": lambda: ref_grad_input(dy, w, spec, spec.sizes),
        "grad_weight": lambda: ref_grad_weight(x, dy, spec),
        "grad_bias": lambda: dy.sum(axis=(0, *positions)),
    })


def naive_c(library: ctypes.CDLL, problem: Problem) -> Contender:
    """The naive C loops of :data:`NAIVE_C` (one call per function, sizes passed in a ``long[22]``)."""
    spec, x, w, b, dy = problem.spec, problem.x, problem.w, problem.b, problem.dy
    params = naive_params(spec, problem.shape.batch)
    p = params.ctypes.data

    def call(name: str, inputs: Sequence[np.ndarray], out_shape: tuple[int, ...]) -> Callable[[], np.ndarray]:
        function = getattr(library, f"naive_{name}")
        pointers = [a.ctypes.data for a in inputs]

        def run(_held: object = (params, inputs)) -> np.ndarray:  # the addresses' arrays stay alive
            out = np.empty(out_shape, dtype=x.dtype)
            function(*pointers, out.ctypes.data, p)
            return out
        return run

    return Contender(NAIVE, {
        "forward": call("forward", (x, w, b), dy.shape),
        "grad_input": call("grad_input", (dy, w), x.shape),
        "grad_weight": call("grad_weight", (x, dy), w.shape),
        "grad_bias": call("grad_bias", (dy,), b.shape),
    })


# The independent naive baseline: plain loops from the definition, any layer up to 3-D (1-D and 2-D
# are 3-D with leading sizes 1), sizes at run time. Compiled with the flags of the generated C.
NAIVE_C = r"""
#include <string.h>
typedef struct { long n, cin, cout, groups, in[3], k[3], s[3], p[3], d[3], out[3]; } conv_t;

#define X_AT(nn, c, z, y, x) ((((nn) * q->cin + (c)) * q->in[0] + (z)) * q->in[1] + (y)) * q->in[2] + (x)
#define Y_AT(nn, o, z, y, x) ((((nn) * q->cout + (o)) * q->out[0] + (z)) * q->out[1] + (y)) * q->out[2] + (x)
#define W_AT(o, c, z, y, x) ((((o) * cg + (c)) * q->k[0] + (z)) * q->k[1] + (y)) * q->k[2] + (x)

/* Every term of the definition: output (nn, o, oz, oy, ox), channel c of its group, tap (kz, ky, kx)
   at input (ci, iz, iy, ix) when that lies inside the input (outside: a padding zero). */
#define FOR_TERMS(BODY) \
  const long cg = q->cin / q->groups, og = q->cout / q->groups; \
  for (long nn = 0; nn < q->n; ++nn) \
  for (long o = 0; o < q->cout; ++o) \
  for (long oz = 0; oz < q->out[0]; ++oz) \
  for (long oy = 0; oy < q->out[1]; ++oy) \
  for (long ox = 0; ox < q->out[2]; ++ox) \
  for (long c = 0; c < cg; ++c) { \
    const long ci = (o / og) * cg + c; \
    for (long kz = 0; kz < q->k[0]; ++kz) { \
      const long iz = oz * q->s[0] - q->p[0] + kz * q->d[0]; \
      if (iz < 0 || iz >= q->in[0]) continue; \
      for (long ky = 0; ky < q->k[1]; ++ky) { \
        const long iy = oy * q->s[1] - q->p[1] + ky * q->d[1]; \
        if (iy < 0 || iy >= q->in[1]) continue; \
        for (long kx = 0; kx < q->k[2]; ++kx) { \
          const long ix = ox * q->s[2] - q->p[2] + kx * q->d[2]; \
          if (ix < 0 || ix >= q->in[2]) continue; \
          BODY; \
        } \
      } \
    } \
  }

void naive_forward(const T *x, const T *w, const T *b, T *y, const conv_t *q) {
  const long outs = q->n * q->cout * q->out[0] * q->out[1] * q->out[2], per = outs / (q->n * q->cout);
  for (long i = 0; i < outs; ++i) y[i] = b[(i / per) % q->cout];
  FOR_TERMS(y[Y_AT(nn, o, oz, oy, ox)] += w[W_AT(o, c, kz, ky, kx)] * x[X_AT(nn, ci, iz, iy, ix)])
}

void naive_grad_input(const T *dy, const T *w, T *dx, const conv_t *q) {
  memset(dx, 0, sizeof(T) * q->n * q->cin * q->in[0] * q->in[1] * q->in[2]);
  FOR_TERMS(dx[X_AT(nn, ci, iz, iy, ix)] += w[W_AT(o, c, kz, ky, kx)] * dy[Y_AT(nn, o, oz, oy, ox)])
}

void naive_grad_weight(const T *x, const T *dy, T *dw, const conv_t *q) {
  memset(dw, 0, sizeof(T) * q->cout * (q->cin / q->groups) * q->k[0] * q->k[1] * q->k[2]);
  FOR_TERMS(dw[W_AT(o, c, kz, ky, kx)] += x[X_AT(nn, ci, iz, iy, ix)] * dy[Y_AT(nn, o, oz, oy, ox)])
}

void naive_grad_bias(const T *dy, T *db, const conv_t *q) {
  const long per = q->out[0] * q->out[1] * q->out[2];
  for (long o = 0; o < q->cout; ++o) {
    T sum = 0;
    for (long nn = 0; nn < q->n; ++nn)
      for (long i = 0; i < per; ++i) sum += dy[(nn * q->cout + o) * per + i];
    db[o] = sum;
  }
}
"""


def naive_params(spec: ConvSpec, batch: int) -> np.ndarray:
    """The ``conv_t`` of :data:`NAIVE_C` (22 longs): spatial tuples padded in front to 3-D."""
    lead = 3 - spec.ndim

    def three(values: Sequence[int], fill: int) -> list[int]:
        return [fill] * lead + [int(v) for v in values]

    return np.array(
        [batch, spec.in_channels, spec.out_channels, spec.groups, *three(spec.sizes, 1),
         *three(spec.kernel, 1), *three(spec.strides, 1), *three(spec.pad_before, 0),
         *three(spec.dilations, 1), *three(spec.output_size, 1)],
        dtype=np.int64,
    )


def compile_naive(dtype: str, workdir: Path) -> ctypes.CDLL:
    """:data:`NAIVE_C` for ``dtype``, compiled once by the system C compiler with the generated C's flags."""
    c_type = {"float32": "float", "float64": "double"}[dtype]
    source = workdir / "naive.c"
    source.write_text(NAIVE_C, encoding="utf-8")
    library = workdir / f"libnaive_{dtype}.so"
    subprocess.run([*compiler(), *cflags(), f"-DT={c_type}", "-o", str(library), str(source)], check=True)
    lib = ctypes.CDLL(str(library))
    for name, arrays in (("forward", 4), ("grad_input", 3), ("grad_weight", 3), ("grad_bias", 2)):
        function = getattr(lib, f"naive_{name}")
        function.argtypes = [ctypes.c_void_p] * (arrays + 1)
        function.restype = None
    return lib


def build_contenders(problem: Problem, dtype: str, torch: Any, naive: ctypes.CDLL) -> list[Contender]:
    """Stage 1: every contender for one layer (PyTorch first when present: the ratios' base)."""
    contenders = [pytorch(torch, problem)] if torch is not None else []
    contenders.append(generated(C1, problem, "c", dtype))
    contenders.append(generated(C2, problem, "c", dtype, threads=2))
    if torch is not None:
        contenders.append(pytorch(torch, problem, TORCH2, threads=2))
    contenders += [generated(NUMPY, problem, "numpy", dtype), einsum_reference(problem), naive_c(naive, problem)]
    return contenders


# -- the einsum reference ---------------------------------------------------------------------------


def _windows(xp: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """(N, C, *out, *k) views of the padded input under every kernel tap."""
    axes = tuple(range(2, 2 + spec.ndim))
    v = sliding_window_view(xp, spec.effective_kernel, axis=axes)
    sel = (slice(None), slice(None))
    sel += tuple(slice(None, None, s) for s in spec.strides)
    sel += tuple(slice(None, None, d) for d in spec.dilations)
    return v[sel]


def _grouped_windows(x: np.ndarray, spec: ConvSpec) -> np.ndarray:
    pads = ((0, 0), (0, 0), *zip(spec.pad_before, spec.pad_after))
    win = _windows(np.pad(x, pads), spec)
    return win.reshape(x.shape[0], spec.groups, spec.group_in, *win.shape[2:])


def _letters(spec: ConvSpec) -> tuple[str, str]:
    return "hwd"[: spec.ndim], "klm"[: spec.ndim]  # positions, taps


def ref_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, spec: ConvSpec) -> np.ndarray:
    win = _grouped_windows(x, spec)
    wg = w.reshape(spec.groups, spec.group_out, spec.group_in, *spec.kernel)
    sp_, ks = _letters(spec)
    y: np.ndarray = np.einsum(f"ngc{sp_}{ks},goc{ks}->ngo{sp_}", win, wg, optimize=True)
    out: np.ndarray = y.reshape(x.shape[0], spec.out_channels, *y.shape[3:]) + b.reshape(-1, *([1] * spec.ndim))
    return out


def ref_grad_weight(x: np.ndarray, dy: np.ndarray, spec: ConvSpec) -> np.ndarray:
    win = _grouped_windows(x, spec)
    dyg = dy.reshape(x.shape[0], spec.groups, spec.group_out, *dy.shape[2:])
    sp_, ks = _letters(spec)
    gw: np.ndarray = np.einsum(f"ngc{sp_}{ks},ngo{sp_}->goc{ks}", win, dyg, optimize=True)
    return gw.reshape(spec.out_channels, spec.group_in, *spec.kernel)


def ref_grad_input(dy: np.ndarray, w: np.ndarray, spec: ConvSpec, size: tuple[int, ...]) -> np.ndarray:
    """The full correlation of the stride-dilated, padded dy with the turned kernel, cropped."""
    n, g, nd = dy.shape[0], spec.groups, spec.ndim
    span = spec.effective_kernel
    dil = np.zeros((n, spec.out_channels, *[(o - 1) * s + 1 for o, s in zip(dy.shape[2:], spec.strides)]), dy.dtype)
    dil[(slice(None), slice(None), *[slice(None, None, s) for s in spec.strides])] = dy
    full = np.pad(dil, ((0, 0), (0, 0), *[(e - 1, e - 1) for e in span]))
    v = sliding_window_view(full, span, axis=tuple(range(2, 2 + nd)))
    v = v[(slice(None),) * (2 + nd) + tuple(slice(None, None, d) for d in spec.dilations)]
    v = v.reshape(n, g, spec.group_out, *v.shape[2:])
    wr = w[(slice(None), slice(None), *[slice(None, None, -1)] * nd)].reshape(
        g, spec.group_out, spec.group_in, *spec.kernel)
    sp_, ks = _letters(spec)
    gp = np.einsum(f"ngo{sp_}{ks},goc{ks}->ngc{sp_}", v, wr, optimize=True)
    padded = tuple(m + b + a for m, b, a in zip(size, spec.pad_before, spec.pad_after))
    out = np.zeros((n, g, spec.group_in, *padded), dy.dtype)
    common = (slice(None),) * 3 + tuple(slice(0, min(a, b)) for a, b in zip(gp.shape[3:], padded))
    out[common] = gp[common]
    crop = tuple(slice(b, b + m) for b, m in zip(spec.pad_before, size))
    return out[(slice(None),) * 3 + crop].reshape(n, spec.in_channels, *size)


# -- stage 2: check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One contender's max abs error against the float64 truth, per function, and the wrong ones."""

    errors: dict[str, dict[str, float]]  # contender → function → max abs error
    wrong: set[tuple[str, str]]  # (contender, function) beyond the tolerance


def tolerance(dtype: str, truth: np.ndarray) -> float:
    """Far beyond rounding: a result off by more is wrong, not imprecise."""
    scale = max(1.0, float(np.max(np.abs(truth))))
    return (1e-3 if dtype == "float32" else 1e-9) * scale


def check(contenders: Sequence[Contender], truth: Mapping[str, np.ndarray], dtype: str) -> Check:
    """Stage 2: every contender's result of every function against the float64 truth."""
    errors: dict[str, dict[str, float]] = {}
    wrong: set[tuple[str, str]] = set()
    for contender in contenders:
        errors[contender.name] = {}
        for function in FUNCTIONS:
            with contender.session():
                got = contender.to_numpy(contender.calls[function]()).astype(np.float64)
            want = truth[function]
            if got.shape != want.shape:
                errors[contender.name][function] = math.inf
            else:
                errors[contender.name][function] = float(np.max(np.abs(got - want)))
            if not errors[contender.name][function] <= tolerance(dtype, want):
                wrong.add((contender.name, function))
    return Check(errors, wrong)


def exact_grad_bias(dy: np.ndarray) -> np.ndarray:
    """Σ dy over the batch and positions per channel by ``math.fsum``: the exact sum, rounded once."""
    maps = np.moveaxis(dy.astype(np.float64), 1, 0).reshape(dy.shape[1], -1)
    return np.array([math.fsum(channel) for channel in maps])


def float64_truth(problem: Problem, torch: Any) -> dict[str, np.ndarray]:
    """PyTorch's results in float64 on the problem's values (without PyTorch: the einsum reference's);
    grad_bias exact (``math.fsum``), so that PyTorch's own sum is judged too, in float64 as well."""
    exact = problem.as_float64()
    judge = pytorch(torch, exact) if torch is not None else einsum_reference(exact)
    truth = {function: judge.to_numpy(judge.calls[function]()) for function in FUNCTIONS}
    truth["grad_bias"] = exact_grad_bias(problem.dy)
    return truth


# -- stage 3: time ----------------------------------------------------------------------------------


Session = Callable[[], AbstractContextManager[Any]]
# seconds of rest before each sample: an OpenMP runtime's idle threads spin for a few ms after a
# parallel region (libgomp: 300 000 spins, "about 3 ms, up to 5x more"), which would take a core from
# the next contender; PyTorch and the threaded generated C each bring their own runtime
SETTLE = 0.02
# seconds of untimed calls before each sample (at least one call): measured on a 2-vCPU VM, a 2-thread
# kernel on f run for 1 ms right after a rest gained 1.57x over 1 thread, 1.95x after 2 ms of calls
# (an idle vCPU wakes slowly); PyTorch's threads alike
WARM = 0.005


def time_interleaved(calls: Mapping[str, Callable[[], Any]], rounds: int, min_sample: float,
                     sessions: Mapping[str, Session] | None = None) -> dict[str, float]:
    """Median seconds per call of each of ``calls``, all timed in the same rounds.

    Warm-up: each call runs twice; the second run's time sets how many calls one
    sample holds (at least ``min_sample`` seconds, so that short calls are not lost
    in the timer's resolution). Round r then takes one sample of every call, the
    order rotated by r so that no contender always follows the same one, each sample
    after a rest of ``SETTLE`` seconds (no spinning threads left from the last one)
    and ``WARM`` seconds of untimed calls (measured: after a rest, the first call of
    a 2-thread kernel on f took 2 ms more and the next ones ran slow for about
    1 ms, the second core still waking). A call with a session (``sessions[name]``)
    is sampled inside it.
    """
    sessions = sessions or {}
    numbers: dict[str, int] = {}
    for name, call in calls.items():
        with sessions.get(name, nullcontext)():
            call()
            start = time.perf_counter()
            call()
            once = time.perf_counter() - start
        numbers[name] = max(1, min(10_000, math.ceil(min_sample / max(once, 1e-9))))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                call, number = calls[name], numbers[name]
                time.sleep(SETTLE)  # the previous contender's idle OpenMP threads stop spinning
                with sessions.get(name, nullcontext)():
                    start = time.perf_counter()
                    call()  # untimed: wakes an idle core (a VM's can take ms) and warms the caches
                    while time.perf_counter() - start < WARM:
                        call()
                    start = time.perf_counter()
                    for _ in range(number):
                        call()
                    samples[name].append((time.perf_counter() - start) / number)
    finally:
        if enabled:
            gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


# -- results ----------------------------------------------------------------------------------------


@dataclass
class Row:
    """One layer x function: the work, each contender's median time and error."""

    shape: Shape
    function: str
    flop: int
    times: dict[str, float] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)
    wrong: set[str] = field(default_factory=set)
    bases: dict[str, str] = field(default_factory=dict)  # contender → its ratio's base (default PyTorch)

    def ratio(self, name: str, base: str | None = None) -> float | None:
        """``t_base / t_name``: above 1, ``name`` is faster than ``base`` (default: its own base)."""
        base = base or self.bases.get(name, TORCH)
        if base not in self.times or name not in self.times or name in self.wrong or base in self.wrong:
            return None
        return self.times[base] / self.times[name]


def measure(shape: Shape, dtype: str, torch: Any, naive: ctypes.CDLL, rounds: int,
            min_sample: float) -> list[Row]:
    """Stages 1-3 for one layer: build, check, time every function."""
    problem = Problem.make(shape, dtype)
    contenders = build_contenders(problem, dtype, torch, naive)
    checked = check(contenders, float64_truth(problem, torch), dtype)
    rows = []
    for function in FUNCTIONS:
        row = Row(shape, function, flops(problem.spec, shape.batch, function))
        row.errors = {c.name: checked.errors[c.name][function] for c in contenders}
        row.wrong = {c.name for c in contenders if (c.name, function) in checked.wrong}
        row.bases = {c.name: c.base for c in contenders}
        row.times = time_interleaved({c.name: c.calls[function] for c in contenders}, rounds, min_sample,
                                     {c.name: c.session for c in contenders if c.session is not nullcontext})
        rows.append(row)
    return rows


# -- binding overhead -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overhead:
    """Seconds per forward call of layer a, each measured in the same rounds."""

    raw: float  # the C function itself: a loop of calls timed inside C (the harness below), per call
    ctypes_raw: float  # one ctypes call of it, arguments prepared once (ctypes' own cost included)
    ctypes_binding: float  # the generated ctypes binding's forward (NAME_c.py)
    binding: float  # the generated extension binding's forward (NAME_ext.c): what load() returns

    @property
    def difference(self) -> float:
        """The extension binding's cost over the raw C call: the target's figure."""
        return self.binding - self.raw


# Times the C without Python: `calls` forward calls back to back (the library is another translation
# unit, so the compiler cannot drop them).
HARNESS_C = r"""
#include "{name}.h"

int bench_forward_loop(const {T} *x, const {T} *w, const {T} *b, {T} *y, long batch{params}, long calls)
{{
    int status = 0;
    for (long i = 0; i < calls && status == 0; ++i)
        status = {name}_forward(x, w, b, y, batch{args});
    return status;
}}
"""
LOOP_CALLS = 1000  # forward calls per harness call: ctypes' ~µs per harness call shrinks to ~ns per call


def compile_harness(code: Any, workdir: Path) -> ctypes.CDLL:
    """The generated C with the timing harness, compiled as the loader compiles the C."""
    spec = code.spec
    c_type = "float" if code.config.dtype == "float32" else "double"
    open_sizes = [] if spec.has_input_size else [f"in{i}" for i in range(spec.ndim)]
    for filename, text in code.files.items():
        (workdir / filename).write_text(text, encoding="utf-8")
    (workdir / "harness.c").write_text(HARNESS_C.format(
        name=code.name, T=c_type, params="".join(f", long {n}" for n in open_sizes),
        args="".join(f", {n}" for n in open_sizes)), encoding="utf-8")
    library = workdir / "libharness.so"
    subprocess.run([*compiler(), *cflags(), "-o", str(library), str(workdir / "harness.c"),
                    str(workdir / f"{code.name}.c")], check=True)
    return ctypes.CDLL(str(library))


def binding_overhead(shape: Shape, dtype: str, rounds: int) -> Overhead:
    """The bindings' forward against the raw C call (timed in C, and through ctypes) of the same C."""
    problem = Problem.make(shape, dtype)
    code = generate(problem.spec, "c", dtype)
    extension, binding = load_extension(code), load_ctypes(code)
    library = ctypes.CDLL(str(compile_shared(code)))
    raw = getattr(library, f"{code.name}_forward")
    sizes = [] if problem.spec.has_input_size else list(problem.spec.sizes)
    raw.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_long] * (1 + len(sizes))
    raw.restype = ctypes.c_int
    x, w, b = problem.x, problem.w, problem.b
    y = np.empty_like(problem.dy)
    arguments = (x.ctypes.data, w.ctypes.data, b.ctypes.data, y.ctypes.data, shape.batch, *sizes)
    with tempfile.TemporaryDirectory() as tmp:
        harness = compile_harness(code, Path(tmp))
        loop = harness.bench_forward_loop
        loop.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_long] * (2 + len(sizes))
        loop.restype = ctypes.c_int
        looped = np.full_like(y, np.nan)
        loop_arguments = (*arguments[:3], looped.ctypes.data, *arguments[4:], LOOP_CALLS)
        want = extension.forward(x, w, b)
        if (raw(*arguments) != 0 or loop(*loop_arguments) != 0 or not np.array_equal(y, want)
                or not np.array_equal(looped, want) or not np.array_equal(binding.forward(x, w, b), want)):
            raise RuntimeError("the raw C calls and the bindings disagree")
        times = time_interleaved({
            "raw": lambda: loop(*loop_arguments),
            "ctypes raw": lambda: raw(*arguments),
            "ctypes binding": lambda: binding.forward(x, w, b),
            "extension": lambda: extension.forward(x, w, b),
        }, rounds, min_sample=0.005)
    return Overhead(times["raw"] / LOOP_CALLS, times["ctypes raw"], times["ctypes binding"], times["extension"])


# -- targets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    goal: str
    value: str
    met: bool | None  # None: not checked (a contender is missing)

    @property
    def verdict(self) -> str:
        return "n/a" if self.met is None else ("PASS" if self.met else "MISS")


def targets(rows: Sequence[Row], overhead: Overhead | None) -> list[Target]:
    """The issue's "done when" figures, over the target layers a-g that were run."""
    def ratios(function: str, name: str = C1, base: str = TORCH) -> dict[str, float | None]:
        return {r.shape.key: r.ratio(name, base) for r in rows
                if r.function == function and r.shape.key in TARGET_SHAPES}

    def geo(function: str, goal: float) -> Target:
        got = ratios(function)
        text = f"{function}: geomean of C / PyTorch ≥ {goal:g} over {','.join(got) or 'no layer'}"
        if not got or any(v is None for v in got.values()):
            return Target(text, "no PyTorch or a wrong result" if got else "no target layer run", None)
        g = geomean([v for v in got.values() if v is not None])
        return Target(text, f"{g:.2f}", g >= goal)

    out = [geo("forward", 1.0)]
    fwd = ratios("forward")
    if fwd and all(v is not None for v in fwd.values()):
        worst = min(fwd, key=lambda key: fwd[key] or 0.0)
        out.append(Target("forward: no layer below 0.5× PyTorch", f"lowest {fwd[worst]:.2f} ({worst})",
                          (fwd[worst] or 0.0) >= 0.5))
    else:
        out.append(Target("forward: no layer below 0.5× PyTorch", "not measured", None))
    out += [geo("grad_input", 1.0), geo("grad_weight", 1.0)]
    depthwise = ratios("forward").get("d")
    out.append(Target("d (depthwise) forward ≥ 3× PyTorch",
                      "not measured" if depthwise is None else f"{depthwise:.2f}",
                      None if depthwise is None else depthwise >= 3.0))
    out.append(geo("grad_bias", 1.0))
    bias = [r for r in rows if r.function == "grad_bias" and r.shape.key in TARGET_SHAPES]
    if bias and all(TORCH in r.errors for r in bias):
        worse = [r.shape.key for r in bias if r.errors[C1] > r.errors[TORCH]]
        out.append(Target("grad_bias: C at least as accurate as PyTorch (max error) on every layer",
                          f"less accurate on {','.join(worse)}" if worse else "every layer", not worse))
    else:
        out.append(Target("grad_bias: C at least as accurate as PyTorch", "not measured", None))
    target_rows = [r for r in rows if r.shape.key in TARGET_SHAPES]
    slow = [f"{r.shape.key} {r.function} {r.ratio(NUMPY, EINSUM) or 0:.2f}" for r in target_rows
            if (r.ratio(NUMPY, EINSUM) or 0.0) < 1.0]
    value = f"below on {len(slow)} of {len(target_rows)}: " + "; ".join(slow) if slow else "every one"
    out.append(Target("NumPy target ≥ 1.0× the einsum reference on every layer and function", value,
                      bool(target_rows) and not slow))
    for r in rows:
        if r.shape.key == "f" and C2 in r.times and C1 in r.times:
            speedup = r.ratio(C2, C1)
            out.append(Target(f"f {r.function}: C on 2 threads ≥ 1.7× C on 1 thread",
                              "not measured" if speedup is None else f"{speedup:.2f}×",
                              None if speedup is None else speedup >= 1.7))
    if overhead is not None:
        us = overhead.difference * 1e6
        out.append(Target("binding overhead (extension binding − the raw C call timed in C, layer a forward) "
                          "≤ 1 µs", f"{us:.2f} µs", us <= 1.0))
    return out


# -- machine ----------------------------------------------------------------------------------------


def machine(torch: Any) -> str:
    """One line: CPU, cores, compiler, library versions, thread settings."""
    model = platform.processor() or "unknown CPU"
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = "+".join(f for f in ("avx2", "fma", "avx512f") if f in flags).upper() or "ISA not read"
    cc = subprocess.run([*compiler(), "--version"], capture_output=True, text=True, check=False)
    cc_line = (cc.stdout.splitlines() or ["unknown compiler"])[0]
    parts = [
        f"CPU {model} ({isa}), {os.cpu_count()} cores",
        f"{cc_line}, {' '.join(cflags())}",
        f"Python {platform.python_version()}, NumPy {np.__version__}",
        f"PyTorch {torch.__version__} ({torch.get_num_threads()} thread)" if torch is not None else "no PyTorch",
        blas_threads(),
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
    ]
    return "; ".join(parts)


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS threads not checked (no threadpoolctl; OPENBLAS/MKL_NUM_THREADS=1 set)"
    pools = [f"{p.get('internal_api')} {p.get('num_threads')}" for p in threadpool_info()]
    return "thread pools (threadpoolctl): " + (", ".join(pools) or "none")


# -- stage 4: report --------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    """``12.3 µs``, ``1.23 ms``, ``1.23 s``.

    >>> fmt_time(1.234e-5), fmt_time(0.001234), fmt_time(2.5)
    ('12.3 µs', '1.23 ms', '2.50 s')
    """
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def report(rows: Sequence[Row], names: Sequence[str], tgts: Sequence[Target], overhead: Overhead | None,
           notes: Sequence[str], judge: str = TORCH) -> str:
    """Stage 4: the Markdown report (layers, timings, errors, targets, overhead, notes)."""
    out = ["| layer | |", "|---|---|"]
    shapes = list(dict.fromkeys(r.shape for r in rows))
    out += [f"| {s.key} | {s.describe()} |" for s in shapes]
    out += ["", "Median time per call · GFLOP/s · ratio to PyTorch on as many threads (t_torch / t; above 1 = "
            "faster); "
            "`WRONG` = failed the check.", ""]
    out.append("| layer | function | MFLOP | " + " | ".join(names) + " |")
    out.append("|---|---|---:|" + "---:|" * len(names))
    for r in rows:
        cells = []
        for name in names:
            if name not in r.times:
                cells.append("—")
                continue
            t = r.times[name]
            ratio = r.ratio(name)
            cell = f"{fmt_time(t)} · {r.flop / t / 1e9:.2f}"
            if name not in BASES and ratio is not None:
                cell += f" · ×{ratio:.2f}"
            if name in r.wrong:
                cell += " · WRONG"
            cells.append(cell)
        out.append(f"| {r.shape.key} | {r.function} | {r.flop / 1e6:.4g} | " + " | ".join(cells) + " |")
    out += ["", f"Max abs error against {judge} in float64 (on the same input values; grad_bias against the "
            "exact sum, math.fsum; in a float64 run the reference is PyTorch's own result, so PyTorch's error "
            "is 0 there but for grad_bias).", ""]
    out.append("| layer | function | " + " | ".join(names) + " |")
    out.append("|---|---|" + "---:|" * len(names))
    for r in rows:
        cells = [f"{r.errors[n]:.1e}" if n in r.errors else "—" for n in names]
        out.append(f"| {r.shape.key} | {r.function} | " + " | ".join(cells) + " |")
    out += ["", "Targets of the issue (ratios of the generated C, 1 thread, to PyTorch, 1 thread):", ""]
    out += ["| target | measured | verdict |", "|---|---|---|"]
    out += [f"| {t.goal} | {t.value} | {t.verdict} |" for t in tgts]
    if overhead is not None:
        us = {k: v * 1e6 for k, v in vars(overhead).items()}
        out += ["", f"Binding overhead (layer a, forward, per call): the C itself (a loop of calls timed in C) "
                f"{us['raw']:.2f} µs; one raw ctypes call {us['ctypes_raw']:.2f} µs; the generated ctypes "
                f"binding {us['ctypes_binding']:.2f} µs (+{us['ctypes_binding'] - us['raw']:.2f}); the generated "
                f"extension binding (what load() returns) {us['binding']:.2f} µs "
                f"(+{overhead.difference * 1e6:.2f})."]
    out += ["", *notes]
    return "\n".join(out) + "\n"


def plot(rows: Sequence[Row], names: Sequence[str], path: Path, title: str) -> None:
    """Bars of every contender's ratio to PyTorch per layer, one panel per function (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    others = [n for n in names if n not in BASES]
    shapes = list(dict.fromkeys(r.shape.key for r in rows))
    fig, axes = plt.subplots(len(FUNCTIONS), 1, figsize=(max(8.0, 0.9 * len(shapes) + 3), 11), sharex=True)
    width = 0.8 / max(1, len(others))
    for ax, function in zip(axes, FUNCTIONS):
        by_shape = {r.shape.key: r for r in rows if r.function == function}
        for i, name in enumerate(others):
            xs, ys = [], []
            for j, key in enumerate(shapes):
                ratio = by_shape[key].ratio(name) if key in by_shape else None
                if ratio is not None:
                    xs.append(j - 0.4 + width * (i + 0.5))
                    ys.append(ratio)
            ax.bar(xs, ys, width, label=name, color=f"C{i}")
        ax.axhline(1.0, color="black", linewidth=1)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_ylabel("t_PyTorch / t")
        ax.set_title(function, loc="left", fontsize=10)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[-1].set_xticks(range(len(shapes)), shapes)
    axes[-1].set_xlabel("layer (above 1: faster than PyTorch)")
    fig.legend(*axes[0].get_legend_handles_labels(), ncol=len(others), fontsize=9, loc="upper center",
               bbox_to_anchor=(0.5, 0.965))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.95))
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- main -------------------------------------------------------------------------------------------


def pick_shapes(text: str | None) -> list[Shape]:
    """The layers named in ``--shapes`` (comma-separated keys; ``c'`` stands for ``c′``), else all."""
    if not text:
        return list(SHAPES)
    by_key = {s.key: s for s in SHAPES}
    keys = [SHAPE_ALIASES.get(k.strip(), k.strip()) for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise SystemExit(f"unknown layer(s) {', '.join(unknown)}; choose from {', '.join(by_key)}")
    return [by_key[k] for k in keys]


def load_torch(required: bool) -> Any:
    try:
        import torch
    except ImportError:
        if required:
            print("PyTorch is not installed and --require-torch was given (pip install -e '.[bench]')")
            raise SystemExit(2) from None
        print("note: PyTorch is not installed: no PyTorch column, ratios or targets; the check uses the "
              "einsum reference in float64 (pip install -e '.[bench]')")
        return None
    torch.set_num_threads(1)
    return torch


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shapes", help="comma-separated layer keys (default: all): "
                        + ",".join(s.key for s in SHAPES))
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15; --quick: 5)")
    parser.add_argument("--min-sample", type=float, default=0.002,
                        help="seconds one timed sample lasts at least (calls are repeated to fill it)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, 1 ms samples")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report to FILE")
    parser.add_argument("--plot", type=Path, help="write a PNG of the ratios to PyTorch to FILE (matplotlib)")
    parser.add_argument("--require-torch", action="store_true", help="exit 2 when PyTorch is missing")
    args = parser.parse_args(argv)
    rounds, min_sample = (5, 0.001) if args.quick else (args.rounds, args.min_sample)
    shapes = pick_shapes(args.shapes)
    torch = load_torch(args.require_torch)

    notes = [f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.dtype}, medians of {rounds} "
             f"interleaved rounds, samples ≥ {min_sample * 1e3:g} ms; generated code specialised to each "
             "layer (fixed input size); one thread, except the 2-thread columns (the generated C with "
             "threads=2 against PyTorch on 2 threads).",
             f"Machine: {machine(torch)}."]

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-conv-") as tmp:
        naive = compile_naive(args.dtype, Path(tmp))
        for shape in shapes:
            print(f"layer {shape.key}: {shape.describe()} …", file=sys.stderr, flush=True)
            rows += measure(shape, args.dtype, torch, naive, rounds, min_sample)
    a = next((s for s in SHAPES if s.key == "a"), None)
    overhead = binding_overhead(a, args.dtype, rounds) if a is not None else None

    names = [n for n in (TORCH, C1, C2, TORCH2, NUMPY, EINSUM, NAIVE) if any(n in r.times for r in rows)]
    judge = TORCH if torch is not None else f"the {EINSUM} reference"
    text = report(rows, names, targets(rows, overhead), overhead, notes, judge)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.plot:
        if torch is None:
            print("no plot: the ratios are to PyTorch, which is not installed", file=sys.stderr)
        else:
            try:
                plot(rows, names, args.plot, f"symconv generated code vs PyTorch CPU, {args.dtype}, 1 thread "
                     f"({datetime.now(UTC):%Y-%m-%d})")
            except ImportError:
                print("no plot: matplotlib is not installed (pip install -e '.[bench]')", file=sys.stderr)
    return 1 if any(r.wrong for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
