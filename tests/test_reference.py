"""The independent reference checked on its own: hand-computed examples, adjoint identities, PyTorch.

If the reference were wrong, every comparison with symconv would be worthless,
so it is pinned here by numbers worked out by hand and by identities that any
correct convolution and its gradients satisfy.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st

# -- hand-computed examples -----------------------------------------------------


def test_note_example_2d() -> None:
    """The note's 3×3 input, 2×2 kernel: y11 = x11k11 + x12k12 + x21k21 + x22k22, and so on."""
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # x11..x33 = 1..9
    w = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)  # k11, k12, k21, k22
    y = ref.forward(x, w, np.array([0.5]))
    # y11 = 1·1 + 2·2 + 4·3 + 5·4 = 37, y12 = 2 + 6 + 15 + 24 = 47,
    # y21 = 4 + 10 + 21 + 32 = 67,     y22 = 5 + 12 + 24 + 36 = 77
    np.testing.assert_array_equal(y, np.array([[[[37.5, 47.5], [67.5, 77.5]]]]))


def test_no_kernel_flip_1d() -> None:
    """Cross-correlation: w = [1, 0, -1] gives x[i] - x[i+2], not its negative."""
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    w = np.array([[[1.0, 0.0, -1.0]]])
    np.testing.assert_array_equal(ref.forward(x, w), [[[-2.0, -2.0, -2.0]]])


def test_stride_padding_dilation_1d() -> None:
    # xpad = [0, 1, 2, 3, 4, 5, 0]; taps at i·2 + u·2: y0 = xpad[0] - xpad[4], y1 = xpad[2] - xpad[6]
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    w = np.array([[[1.0, 0.0, -1.0]]])
    y = ref.forward(x, w, np.array([0.25]), stride=2, padding=1, dilation=2)
    np.testing.assert_array_equal(y, [[[-4.0 + 0.25, 2.0 + 0.25]]])


def test_same_padding_puts_the_odd_zero_after() -> None:
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[1.0, 1.0]]])
    # xpad = [1, 2, 3, 0] (the zero after, as PyTorch); before would give [1, 3, 5]
    np.testing.assert_array_equal(ref.forward(x, w, padding="same"), [[[3.0, 5.0, 3.0]]])
    assert ref.same_padding(2) == (0, 1)
    assert ref.same_padding(3) == (1, 1)
    assert ref.same_padding(4, 2) == (3, 3)
    assert ref.same_padding(2, 3) == (1, 2)


def test_valid_padding_is_none() -> None:
    x = np.arange(5.0).reshape(1, 1, 5)
    w = np.array([[[1.0, 1.0, 1.0]]])
    np.testing.assert_array_equal(ref.forward(x, w, padding="valid"), ref.forward(x, w, padding=0))


def test_groups_pick_their_input_channels() -> None:
    """in 2 → out 4, groups 2: maps 0 and 1 read channel 0, maps 2 and 3 read channel 1."""
    x = np.array([[[1.0], [10.0]]])  # (N=1, C_in=2, 1)
    w = np.array([[[1.0]], [[2.0]], [[3.0]], [[4.0]]])  # (C_out=4, C_in/g=1, 1)
    y = ref.forward(x, w, groups=2)
    np.testing.assert_array_equal(y[0, :, 0], [1.0, 2.0, 30.0, 40.0])


def test_channels_are_summed() -> None:
    x = np.array([[[1.0], [10.0]]])  # C_in = 2
    w = np.array([[[2.0], [3.0]]])  # C_out = 1, C_in = 2
    np.testing.assert_array_equal(ref.forward(x, w, np.array([1.0])), [[[33.0]]])


def test_gradients_by_hand_1d() -> None:
    # y0 = 2·x0 + 3·x1, y1 = 2·x1 + 3·x2, dy = [1, 10]
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[2.0, 3.0]]])
    dy = np.array([[[1.0, 10.0]]])
    np.testing.assert_array_equal(ref.grad_input(dy, w, (3,)), [[[2.0, 3.0 + 20.0, 30.0]]])
    np.testing.assert_array_equal(ref.grad_weight(x, dy, (2,)), [[[1.0 + 20.0, 2.0 + 30.0]]])
    np.testing.assert_array_equal(ref.grad_bias(dy), [11.0])


def test_gradients_by_hand_with_stride_and_padding() -> None:
    # padding 1, stride 2, k 2 on x = [x0, x1, x2]: xpad = [0, x0, x1, x2, 0], out 2:
    # y0 = w0·0 + w1·x0, y1 = w0·x1 + w1·x2
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[5.0, 7.0]]])
    dy = np.array([[[1.0, 10.0]]])
    assert ref.output_size((3,), (2,), 2, 1) == (2,)
    np.testing.assert_array_equal(ref.forward(x, w, stride=2, padding=1), [[[7.0, 10.0 + 21.0]]])
    np.testing.assert_array_equal(ref.grad_input(dy, w, (3,), stride=2, padding=1), [[[7.0, 50.0, 70.0]]])
    np.testing.assert_array_equal(ref.grad_weight(x, dy, (2,), stride=2, padding=1), [[[20.0, 1.0 + 30.0]]])


def test_output_size_matches_published_formula_exhaustively() -> None:
    for n in range(1, 12):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(3):
                    for d in range(1, 4):
                        if d * (k - 1) + 1 > n + 2 * p:
                            continue
                        expected = ref.published_output_size(n, k, s, p, d)
                        assert ref.output_size((n,), (k,), s, p, d) == (expected,), (n, k, s, p, d)


def test_im2col_and_kernel_matrix_by_hand() -> None:
    x = np.arange(1.0, 10.0).reshape(1, 3, 3)
    expected = [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]
    np.testing.assert_array_equal(ref.im2col(x, (2, 2)), expected)
    w = np.array([[[1.0]], [[2.0]]])  # C_out 2, groups 2 → block diagonal
    np.testing.assert_array_equal(ref.kernel_matrix(w, groups=2), [[1.0, 0.0], [0.0, 2.0]])


def test_macs_counts_every_term() -> None:
    # 3×3 input, 2×2 kernel, 1→1: four outputs of four products each
    assert ref.macs((3, 3), (1, 1, 2, 2)) == 16
    # with padding 1 the zeros count too: 4×4 outputs of 4 products
    assert ref.macs((3, 3), (1, 1, 2, 2), padding=1) == 64
    # depthwise 3 channels, 3×3, 'same' on 5×5: 3 maps × 25 positions × 9 taps
    assert ref.macs((5, 5), (3, 1, 3, 3), padding="same", groups=3) == 3 * 25 * 9


# -- identities on random cases -------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> dict:
    dims = draw(st.integers(1, 3))
    limit = {1: 9, 2: 6, 3: 4}[dims]
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    kind = draw(st.sampled_from(["int", "same", "valid"]))
    stride = (1,) * dims if kind == "same" else tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = kind if kind != "int" else tuple(draw(st.integers(0, 2)) for _ in range(dims))
    before, after = ref.padding_amounts(padding, kernel, dilation)
    size = []
    for k, d, b, a in zip(kernel, dilation, before, after):
        smallest = max(1, d * (k - 1) + 1 - b - a)
        size.append(draw(st.integers(smallest, max(smallest, limit))))
    seed = draw(st.integers(0, 2**32 - 1))
    return {
        "n": draw(st.integers(1, 2)), "c_in": c_in, "c_out": c_out, "size": tuple(size),
        "kernel": kernel, "seed": seed,
        "params": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
    }


def _random(case: dict) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(case["seed"])
    groups = case["params"]["groups"]
    x = rng.standard_normal((case["n"], case["c_in"], *case["size"]))
    w = rng.standard_normal((case["c_out"], case["c_in"] // groups, *case["kernel"]))
    b = rng.standard_normal(case["c_out"])
    return x, w, b


@settings(max_examples=60, deadline=None)
@given(cases())
def test_gradients_are_adjoint_to_forward(case: dict) -> None:
    """⟨dy, conv(x, w)⟩ = ⟨grad_input(dy), x⟩ = ⟨grad_weight(dy), w⟩: the definition of the gradient
    of a bilinear map, independent of how the gradients are computed."""
    x, w, b = _random(case)
    p = case["params"]
    y = ref.forward(x, w, None, **p)
    assert y.shape[2:] == ref.output_size(case["size"], case["kernel"], p["stride"], p["padding"],
                                         p["dilation"])
    dy = np.random.default_rng(case["seed"] + 1).standard_normal(y.shape)
    pairing = float(np.sum(dy * y))
    gx = ref.grad_input(dy, w, case["size"], **p)
    gw = ref.grad_weight(x, dy, case["kernel"], **p)
    assert gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_allclose(np.sum(gx * x), pairing, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.sum(gw * w), pairing, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ref.forward(x, w, b, **p) - y, np.broadcast_to(
        b.reshape(1, -1, *([1] * len(case["size"]))), y.shape), atol=1e-12)
    np.testing.assert_allclose(ref.grad_bias(dy), dy.sum(axis=tuple(i for i in range(dy.ndim) if i != 1)))


@settings(max_examples=40, deadline=None)
@given(cases())
def test_im2col_times_kernel_matrix_is_forward(case: dict) -> None:
    x, w, _ = _random(case)
    p = case["params"]
    y = ref.forward(x[:1], w, None, **p)[0]
    cols = ref.im2col(x[0], case["kernel"], p["stride"], p["padding"], p["dilation"])
    y_hat = cols @ ref.kernel_matrix(w, p["groups"])
    np.testing.assert_allclose(y_hat.T.reshape(y.shape), y, rtol=1e-12, atol=1e-12)


# -- against PyTorch, when it is installed ------------------------------------------
#
# torch is not a dependency (its wheels are huge) and CI treats a skipped test as a
# failure (conftest.py), so the comparison is only *defined* where torch imports:
# run it by hand with torch installed in the venv to re-validate the reference.

if importlib.util.find_spec("torch") is not None:

    @settings(max_examples=60, deadline=None)
    @given(cases())
    def test_against_torch(case: dict) -> None:
        """Forward and all three gradients equal torch.nn.functional.conv*d and its autograd."""
        import torch

        functional = torch.nn.functional
        conv = {1: functional.conv1d, 2: functional.conv2d, 3: functional.conv3d}[len(case["size"])]
        x, w, b = _random(case)
        p = case["params"]
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        ty = conv(tx, tw, tb, stride=p["stride"], padding=p["padding"], dilation=p["dilation"],
                  groups=p["groups"])
        y = ref.forward(x, w, b, **p)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        dy = np.random.default_rng(case["seed"] + 1).standard_normal(y.shape)
        ty.backward(torch.tensor(dy, dtype=torch.float64))
        np.testing.assert_allclose(ref.grad_input(dy, w, case["size"], **p), tx.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(ref.grad_weight(x, dy, case["kernel"], **p), tw.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(ref.grad_bias(dy), tb.grad.numpy(), atol=1e-10)
