"""Benchmark: ``derive`` plus the (a) == (b) proof, against the naive route, in one run.

The goals: ``derive(spec)`` + ``.prove()`` of a 2-D 16×16, 8→8 channels, k=3
layer in ≤ 10 s and of a 32×32, 8→8, k=3 layer in ≤ 60 s, with peak memory
under 2 GB (the smaller layers of earlier goals are kept as a record). The
reference measured in the same run is the naive route — ``sympy.diff`` of
``L = Σ δ ⊙ Y`` by every symbol — on a spec small enough to finish; the ratio
compares both there.

Usage: python benchmarks/bench_derive.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable

import sympy as sp

from symconv import ConvSpec, derive

GOALS = [  # (label, spec, limit in seconds)
    ("2-D 16x16, 4->4 channels, k=3", ConvSpec(input_size=16, kernel_size=3, in_channels=4, out_channels=4), 10.0),
    ("2-D 32x32, 1 channel, k=3", ConvSpec(input_size=32, kernel_size=3), 10.0),
    ("2-D 64x64, 1 channel, k=3", ConvSpec(input_size=64, kernel_size=3), 10.0),
    ("2-D 16x16, 8->8 channels, k=3", ConvSpec(input_size=16, kernel_size=3, in_channels=8, out_channels=8), 10.0),
    ("2-D 32x32, 8->8 channels, k=3", ConvSpec(input_size=32, kernel_size=3, in_channels=8, out_channels=8), 60.0),
]
MEMORY_LIMIT_MB = 2048


def median_time(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def symconv_route(spec: ConvSpec) -> None:
    d = derive(spec)
    proof = d.prove()
    assert proof.holds, str(proof)


def naive_route(spec: ConvSpec) -> None:
    """``sympy.diff`` of the whole ``L = Σ δ ⊙ Y`` by each input, weight and bias symbol."""
    d = derive(spec)
    loss = sp.Add(*[dl * y for dl, y in zip(d.delta_t.flat, d.y_t.flat)])
    symbols = list(d.x_t.flat) + list(d.w_t.flat) + ([] if d.b_t is None else list(d.b_t.flat))
    for v in symbols:
        sp.diff(loss, v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median is reported)")
    args = parser.parse_args()

    ref_spec = ConvSpec(input_size=12, kernel_size=3, in_channels=2, out_channels=2)
    print(f"reference spec: {ref_spec.describe()}")
    naive = median_time(lambda: naive_route(ref_spec), args.repeat)
    ours = median_time(lambda: symconv_route(ref_spec), args.repeat)
    print(f"  naive sympy.diff of L: {naive:7.2f} s")
    print(f"  derive + prove:        {ours:7.2f} s   ({naive / ours:.1f}x faster than naive)")
    print()
    failed = False
    for label, spec, limit in GOALS:
        t = median_time(lambda spec=spec: symconv_route(spec), args.repeat)
        verdict = "ok" if t <= limit else "OVER GOAL"
        failed |= t > limit
        print(f"{label:34s} derive + prove {t:6.2f} s  (goal ≤ {limit:.0f} s: {verdict}; "
              f"{t / ours:.1f}x the reference spec's time)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    failed |= peak > MEMORY_LIMIT_MB
    print(f"peak memory of the whole run: {peak:.0f} MB (goal < {MEMORY_LIMIT_MB} MB)")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
