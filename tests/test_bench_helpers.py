"""The pure helpers of ``benchmarks/bench_conv.py``: work counts, means, targets. Nothing is timed."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import reference

from symconv import ConvSpec

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_conv.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_conv", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_conv"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load()


SMALL = [  # the benchmark's smallest layers and small ones of every kind: counted term by term below
    *(s for s in bench.SHAPES if s.key in ("a", "c′")),
    bench.Shape("strided-grouped", 2, 4, (9, 8), 6, 3, s=2, p=1, groups=2),
    bench.Shape("depthwise-dilated", 3, 3, (11, 10), 3, 3, p=2, d=2, groups=3),
    bench.Shape("pointwise", 2, 5, (4, 4), 7, 1),
    bench.Shape("1-D", 2, 2, (17,), 3, 5, s=3, p=2),
    bench.Shape("3-D", 1, 2, (5, 6, 4), 2, 3, p=1),
]


@pytest.mark.parametrize("shape", SMALL, ids=lambda s: s.key)
def test_flops_are_twice_the_counted_macs(shape):
    """2·MACs per call, the MACs counted term by term by the independent reference (one sample, × batch)."""
    spec = shape.spec
    w_shape = (spec.out_channels, spec.group_in, *spec.kernel)
    macs = reference.macs(spec.sizes, w_shape, spec.strides, spec.pad_before, spec.dilations, spec.groups)
    for function in ("forward", "grad_input", "grad_weight"):
        assert bench.flops(spec, shape.batch, function) == 2 * shape.batch * macs


def test_flops_of_grad_bias_count_its_additions():
    spec = ConvSpec(input_size=(6, 5), kernel_size=(3, 2), stride=2, in_channels=2, out_channels=3)
    assert spec.output_size == (2, 2)
    assert bench.flops(spec, 4, "grad_bias") == 4 * 3 * 2 * 2


def test_geomean():
    assert bench.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert bench.geomean([1.0]) == 1.0
    assert math.isnan(bench.geomean([]))


def test_fmt_time():
    assert bench.fmt_time(1.234e-5) == "12.3 µs"
    assert bench.fmt_time(0.001234) == "1.23 ms"
    assert bench.fmt_time(2.5) == "2.50 s"


def test_pick_shapes():
    assert [s.key for s in bench.pick_shapes("a, c',d")] == ["a", "c′", "d"]
    assert len(bench.pick_shapes(None)) == len(bench.SHAPES)
    with pytest.raises(SystemExit):
        bench.pick_shapes("a,zz")


def test_the_issue_layers_are_there():
    keys = [s.key for s in bench.SHAPES]
    assert keys[:8] == list(bench.TARGET_SHAPES)
    assert {s.spec.ndim for s in bench.SHAPES} == {1, 2, 3}
    depthwise = next(s for s in bench.SHAPES if s.key == "d")
    assert depthwise.spec.is_depthwise


def test_naive_params_pad_to_three_dimensions():
    spec = ConvSpec(input_size=(10,), kernel_size=3, padding=1, in_channels=2, out_channels=4, groups=2)
    params = bench.naive_params(spec, 5).tolist()
    assert len(params) == 22
    assert params[:4] == [5, 2, 4, 2]
    assert params[4:7] == [1, 1, 10]  # in
    assert params[7:10] == [1, 1, 3]  # kernel
    assert params[13:16] == [0, 0, 1]  # padding
    assert params[19:22] == [1, 1, 10]  # out


def _row(key: str, function: str, times: dict[str, float]):
    return bench.Row(bench.Shape(key, 1, 1, (8, 8), 1, 3), function, 1, times,
                     {name: 0.0 for name in times})


def test_targets_pass_and_miss():
    """Geomeans of t_torch / t_C; a layer below 0.5 fails the forward's floor; d needs 3×."""
    torch, c, numpy_, einsum = bench.TORCH, bench.C1, bench.NUMPY, bench.EINSUM
    rows = []
    for key, fwd in (("a", 4.0), ("b", 0.4), ("d", 3.0)):
        rows.append(_row(key, "forward", {torch: 1.0, c: 1.0 / fwd, numpy_: 1.0, einsum: 2.0}))
        rows.append(_row(key, "grad_input", {torch: 1.0, c: 0.5, numpy_: 1.0, einsum: 1.0}))
    results = {t.goal: t for t in bench.targets(rows, None)}
    forward = next(t for g, t in results.items() if g.startswith("forward: geomean"))
    assert forward.met is True and forward.value == f"{(4.0 * 0.4 * 3.0) ** (1 / 3):.2f}"
    floor = next(t for g, t in results.items() if "below 0.5" in g)
    assert floor.met is False and "(b)" in floor.value
    assert next(t for g, t in results.items() if g.startswith("d (depthwise)")).met is True
    assert next(t for g, t in results.items() if g.startswith("grad_input")).met is True  # 2.0
    assert next(t for g, t in results.items() if g.startswith("grad_weight")).met is None  # not run
    assert next(t for g, t in results.items() if g.startswith("NumPy")).met is True
    assert all(t.verdict in ("PASS", "MISS", "n/a") for t in results.values())


def test_ratio_is_none_for_a_wrong_result():
    row = _row("a", "forward", {bench.TORCH: 2.0, bench.C1: 1.0})
    assert row.ratio(bench.C1) == 2.0
    row.wrong.add(bench.C1)
    assert row.ratio(bench.C1) is None


def test_the_grad_bias_truth_is_the_exact_sum():
    """1 + 2^-60 + … − 1: a float64 sum in any order loses the small terms; math.fsum keeps them."""
    dy = np.zeros((2, 2, 3))
    dy[0, 0] = [1.0, 2.0**-60, 2.0**-60]
    dy[1, 0] = [-1.0, 0.0, 2.0**-60]
    dy[:, 1] = 0.5
    np.testing.assert_array_equal(bench.exact_grad_bias(dy), [3 * 2.0**-60, 3.0])
