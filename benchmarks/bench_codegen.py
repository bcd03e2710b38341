"""Benchmark: generated C and NumPy against a NumPy reference, forward and backward, one thread.

The reference is the usual vectorised NumPy convolution: ``sliding_window_view``
plus ``einsum`` (forward and weight gradient), and the input gradient as the
full correlation of the stride-dilated, padded dy with the turned kernel. All
are measured in the same run; the table reports medians and each generated
function's time as a ratio of the reference's (below 1: faster).

Usage: python benchmarks/bench_codegen.py [--repeat N] [--quick]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # single thread, set before NumPy loads its BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

from symconv import ConvSpec, generate  # noqa: E402

CASES = [
    ("2-D 32x32, 16->16, k3 p1, batch 8", ConvSpec(kernel_size=3, padding=1, in_channels=16, out_channels=16), 8, (32, 32)),
    ("2-D 64x64, 1->1, k3 d2, batch 8", ConvSpec(kernel_size=3, dilation=2), 8, (64, 64)),
    ("2-D 32x32, 32 depthwise, k3 s2 p1, batch 8",
     ConvSpec(kernel_size=3, stride=2, padding=1, in_channels=32, out_channels=32, groups=32), 8, (32, 32)),
    ("1-D 1024, 8->8, k5 p2, batch 8", ConvSpec(kernel_size=5, padding=2, in_channels=8, out_channels=8, dims=1), 8, (1024,)),
    ("3-D 16^3, 4->4, k3 p1, batch 2", ConvSpec(kernel_size=3, padding=1, in_channels=4, out_channels=4, dims=3), 2, (16, 16, 16)),
]


def _windows(xp: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """(N, C, *out, *k) views of the padded input under every kernel tap."""
    axes = tuple(range(2, 2 + spec.ndim))
    v = sliding_window_view(xp, spec.effective_kernel, axis=axes)
    sel = (slice(None), slice(None))
    sel += tuple(slice(None, None, s) for s in spec.strides)
    sel += tuple(slice(None, None, d) for d in spec.dilations)
    return v[sel]


def ref_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, spec: ConvSpec) -> np.ndarray:
    pads = ((0, 0), (0, 0), *zip(spec.pad_before, spec.pad_after))
    win = _windows(np.pad(x, pads), spec)
    n, g = x.shape[0], spec.groups
    win = win.reshape(n, g, spec.group_in, *win.shape[2:])
    wg = w.reshape(g, spec.group_out, spec.group_in, *spec.kernel)
    sp_ = "hwd"[: spec.ndim]
    ks = "klm"[: spec.ndim]
    y = np.einsum(f"ngc{sp_}{ks},goc{ks}->ngo{sp_}", win, wg, optimize=True)
    return y.reshape(n, spec.out_channels, *y.shape[3:]) + b.reshape(-1, *([1] * spec.ndim))


def ref_grad_weight(x: np.ndarray, dy: np.ndarray, spec: ConvSpec) -> np.ndarray:
    pads = ((0, 0), (0, 0), *zip(spec.pad_before, spec.pad_after))
    win = _windows(np.pad(x, pads), spec)
    n, g = x.shape[0], spec.groups
    win = win.reshape(n, g, spec.group_in, *win.shape[2:])
    dyg = dy.reshape(n, g, spec.group_out, *dy.shape[2:])
    sp_ = "hwd"[: spec.ndim]
    ks = "klm"[: spec.ndim]
    gw = np.einsum(f"ngc{sp_}{ks},ngo{sp_}->goc{ks}", win, dyg, optimize=True)
    return gw.reshape(spec.out_channels, spec.group_in, *spec.kernel)


def ref_grad_input(dy: np.ndarray, w: np.ndarray, spec: ConvSpec, size: tuple[int, ...]) -> np.ndarray:
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
    sp_ = "hwd"[:nd]
    ks = "klm"[:nd]
    gp = np.einsum(f"ngo{sp_}{ks},goc{ks}->ngc{sp_}", v, wr, optimize=True)
    padded = tuple(m + b + a for m, b, a in zip(size, spec.pad_before, spec.pad_after))
    out = np.zeros((n, g, spec.group_in, *padded), dy.dtype)
    out[(slice(None),) * 3 + tuple(slice(0, min(a, b)) for a, b in zip(gp.shape[3:], padded))] = gp[
        (slice(None),) * 3 + tuple(slice(0, min(a, b)) for a, b in zip(gp.shape[3:], padded))]
    crop = tuple(slice(b, b + m) for b, m in zip(spec.pad_before, size))
    return out[(slice(None),) * 3 + crop].reshape(n, spec.in_channels, *size)


def median(work: Callable[[], Any], repeat: int) -> float:
    work()  # warm up (and compile caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="the first two cases, 3 repeats")
    args = parser.parse_args()
    cases = CASES[:2] if args.quick else CASES
    repeat = 3 if args.quick else args.repeat
    rng = np.random.default_rng(0)
    print(f"single thread; medians of {repeat} runs; ratio = generated / reference (lower is faster)\n")
    print(f"{'case':44s} {'function':12s} {'reference':>10s} {'numpy':>10s} {'ratio':>6s} {'C':>10s} {'ratio':>6s}")
    for label, spec, batch, size in cases:
        for k, line in enumerate(measure(spec, batch, size, repeat, rng)):
            print(f"{label if k == 0 else '':44s} {line}")


def measure(
    spec: ConvSpec, batch: int, size: tuple[int, ...], repeat: int, rng: np.random.Generator
) -> list[str]:
    """One printed row per function: reference, NumPy and C medians and ratios."""
    x = rng.standard_normal((batch, spec.in_channels, *size))
    w = rng.standard_normal((spec.out_channels, spec.group_in, *spec.kernel))
    b = rng.standard_normal(spec.out_channels)
    kn = generate(spec, "numpy").load()
    kc = generate(spec, "c").load()
    dy = rng.standard_normal(kn.forward(x, w, b).shape)
    tol = {"rtol": 1e-8, "atol": 1e-8}
    np.testing.assert_allclose(kc.forward(x, w, b), ref_forward(x, w, b, spec), **tol)
    np.testing.assert_allclose(kc.grad_input(dy, w, size), ref_grad_input(dy, w, spec, size), **tol)
    np.testing.assert_allclose(kc.grad_weight(x, dy), ref_grad_weight(x, dy, spec), **tol)
    rows = [
        ("forward", partial(ref_forward, x, w, b, spec), lambda k: k.forward(x, w, b)),
        ("grad_input", partial(ref_grad_input, dy, w, spec, size), lambda k: k.grad_input(dy, w, size)),
        ("grad_weight", partial(ref_grad_weight, x, dy, spec), lambda k: k.grad_weight(x, dy)),
    ]
    lines = []
    for fn, ref, gen in rows:
        t_ref = median(ref, repeat)
        t_np = median(partial(gen, kn), repeat)
        t_c = median(partial(gen, kc), repeat)
        lines.append(
            f"{fn:12s} {t_ref * 1e3:8.2f}ms {t_np * 1e3:8.2f}ms {t_np / t_ref:6.2f}"
            f" {t_c * 1e3:8.2f}ms {t_c / t_ref:6.2f}"
        )
    return lines


if __name__ == "__main__":
    main()
