"""Benchmark: ``derive`` plus the (a) == (b) proof, against the naive route, in one run.

The goals (issue 2): 2-D 16×16, 4→4 channels, k=3 and one 32×32 channel, k=3,
each in ≤ 10 s for ``derive(spec)`` + ``.prove()``. The reference measured in
the same run is the naive route — ``sympy.diff`` of ``L = Σ δ ⊙ Y`` by every
symbol — on a spec small enough to finish; the ratio compares both there.

Usage: python benchmarks/bench_derive.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import sympy as sp

from symconv import ConvSpec, derive

GOALS = [
    ("2-D 16x16, 4->4 channels, k=3", ConvSpec(input_size=16, kernel_size=3, in_channels=4, out_channels=4)),
    ("2-D 32x32, 1 channel, k=3", ConvSpec(input_size=32, kernel_size=3)),
]
LIMIT_S = 10.0


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
    for label, spec in GOALS:
        t = median_time(lambda spec=spec: symconv_route(spec), args.repeat)
        verdict = "ok" if t <= LIMIT_S else "OVER GOAL"
        failed |= t > LIMIT_S
        print(f"{label:34s} derive + prove {t:6.2f} s  (goal ≤ {LIMIT_S:.0f} s: {verdict}; "
              f"{t / ours:.1f}x the reference spec's time)")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
