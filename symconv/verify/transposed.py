"""The direct convolution a transposed convolution equals, found by running both on numbers.

A transposed convolution scatters: input ``x_i`` times tap ``w_u`` lands on output
position ``s·i + d·u − p`` — the forward pass's own index map read backwards (it
is the adjoint of the convolution, as PyTorch defines ``ConvTranspose``). The
guide's equivalent is a direct convolution with stride 1 and the kernel turned,
over the input with zeros inserted between neighbours and padded. This module
does not assume how many zeros or how much padding: it tries each count, runs the
direct convolution on the same numbers, and returns the counts that reproduce the
scattered output exactly. The numbers are chosen so that no two sets of products
can add up alike (``x_i = B^i`` with a base ``B`` larger than any tap weight), so
agreement on them is agreement of the two operations.
"""

from __future__ import annotations

from functools import cache

from symconv import sizes as algebra

INPUTS = 3
"""How many inputs the two operations run on beyond those the padding cuts: two gaps between
neighbours stay in sight."""


MAX_RUN = 12_000
"""The most products the runs of one search take (every count of zeros and padding tried, each run
over every output and tap); beyond, :func:`by_index_map` answers."""


def run_size(k: int, s: int, p: int, d: int) -> int:
    """The products the search for (k, s, p, d) takes: zeros 0…s+1 times paddings 0…d(k−1)+1 candidates,
    each a direct convolution of k taps over the scattered output's length."""
    length = (INPUTS + 2 * p - 1) * s + d * (k - 1) + 1
    return (s + 2) * (d * (k - 1) + 2) * k * length


def by_index_map(k: int, s: int, p: int, d: int) -> tuple[int, int] | None:
    """The same counts read off the index map, for any size: neighbouring inputs land ``s`` apart (so
    ``s − 1`` zeros lie between them), and input 0's last tap lands at ``d(k − 1) − p``, where the
    turned kernel's window over the padded input starts with input 0 — so that many zeros pad it."""
    gap = int(algebra.input_index(1, 0, s, d, 0) - algebra.input_index(0, 0, s, d, 0))
    before = int(algebra.input_index(0, k - 1, s, d, p))
    return None if before < 0 else (gap - 1, before)


@cache
def equivalent(k: int, s: int, p: int, d: int) -> tuple[int, int] | None:
    """(zeros inserted between neighbouring inputs, padding before the first) of the direct
    convolution (stride 1, dilation d, the kernel turned) equal to the transposed one with kernel
    ``k``, stride ``s``, padding ``p``, dilation ``d`` — or None when none pads (``p`` cuts more than
    the turned kernel reaches: the equivalent would crop instead)."""
    if p > d * (k - 1) + 1 or run_size(k, s, p, d) > MAX_RUN:
        return by_index_map(k, s, p, d)
    return search(k, s, p, d)


def search(k: int, s: int, p: int, d: int) -> tuple[int, int] | None:
    """:func:`equivalent` found by running both operations (at any size: mind :func:`run_size`)."""
    n = INPUTS + 2 * p  # the cut takes at most p outputs from each end
    # the positions the scatter reaches before p is cut from both ends: through the last tap of the last input
    full = int(algebra.input_index(n - 1, k - 1, s, d, 0)) + 1
    length = full - 2 * p
    if length < 1:
        return None
    base = k + 1  # larger than any weight: each output is a unique sum of B^i (u + 1)
    x = [base**i for i in range(n)]
    w = [u + 1 for u in range(k)]
    scattered = [0] * length
    for i in range(n):
        for u in range(k):
            j = int(algebra.input_index(i, u, s, d, p))
            if 0 <= j < length:
                scattered[j] += x[i] * w[u]
    for zeros in range(s + 2):
        for before in range(d * (k - 1) + 2):
            if _direct(x, w, zeros, before, d, length) == scattered:
                return zeros, before
    return None


def _direct(x: list[int], w: list[int], zeros: int, before: int, d: int, length: int) -> list[int]:
    """The direct convolution (stride 1, dilation d, the kernel turned) of ``x`` with ``zeros``
    inserted between neighbours and ``before`` zeros in front, ``length`` outputs (zeros beyond the
    end as needed)."""
    k = len(w)
    stretched = [0] * before
    for i, value in enumerate(x):
        stretched += ([0] * zeros if i else []) + [value]
    reach = length + d * (k - 1)
    stretched += [0] * max(reach - len(stretched), 0)
    return [sum(stretched[j + d * v] * w[k - 1 - v] for v in range(k)) for j in range(length)]
