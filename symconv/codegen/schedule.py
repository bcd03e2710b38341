"""The schedule of the generated C: the loop structure of each function, and why it was chosen.

Chosen here from the spec, used by the C backend and printed into the header
comment of every generated C file, so that a reader of the C sees what was
chosen without reverse-engineering the loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from symconv.spec import ConvSpec

OUT_BLOCK = 4  # forward: output channels per block, sharing each input load (4 accumulators)
BIAS_BLOCK = 256  # grad_bias: positions summed into one block sum before the pairwise tree
BIAS_LANES = 8  # grad_bias: independent partial sums in a block (a vector's worth), combined pairwise


@dataclass(frozen=True)
class Step:
    """One function's schedule: what the loops do, and why."""

    function: str
    what: str
    why: str

    def line(self) -> str:
        return f"{self.function}: {self.what}; {self.why}."


@dataclass(frozen=True)
class Schedule:
    """The schedule of the four functions, and the block sizes the C backend prints."""

    out_block: int  # forward: output channels per block (1 when a group has fewer)
    out_tail: bool  # forward: single output channels after the blocks (C_out/G not a multiple)
    residues: int  # grad_input: loop nests, one per residue of the input position mod the stride
    bias_block: int
    bias_lanes: int
    threads: int  # OpenMP threads over the outer loops (1: no OpenMP)
    steps: tuple[Step, ...]

    def lines(self) -> list[str]:
        return [step.line() for step in self.steps]


def schedule(spec: ConvSpec, threads: int = 1) -> Schedule:
    """The schedule of ``spec``'s C code on ``threads`` OpenMP threads."""
    group_out = spec.group_out
    block = OUT_BLOCK if group_out >= OUT_BLOCK else 1
    tail = group_out % OUT_BLOCK != 0 and group_out >= OUT_BLOCK
    residues = math.prod(spec.strides)
    unit = all(s == 1 for s in spec.strides)
    channels = f"{block} output channel{'s' if block > 1 else ''} per block"
    if tail:
        channels += " then single channels"
    forward = Step(
        "forward",
        "direct stencil; each output row split into the interior (every tap inside the input: no "
        f"bounds tests, one accumulator per channel) and the border (guarded taps); {channels}; "
        + ("vectorisable along the row (unit stride)" if unit else "strided loads along the row"),
        f"each input load shared by the block (C_out/G = {group_out}); the interior bounds come from "
        "the index algebra s*i + d*u - p_before",
    )
    grad_input = Step(
        "grad_input",
        "gather (full correlation of the zero-inserted dy with the flipped, dilated kernel), "
        + (f"one loop nest per residue of the input position mod the stride ({residues} nests)"
           if residues > 1 else "one loop nest"),
        "rows split into the interior (no bounds tests) and the guarded border; one accumulator "
        "per tap over the output channels, summed pairwise; no scatter: each dx entry written "
        "once; the residue decides which taps read it, so no divisibility test runs in C",
    )
    grad_weight = Step(
        "grad_weight",
        "per (o, c) one accumulator per tap over the batch and every output position, rows split "
        "into the interior (no bounds tests) and the guarded border",
        "accumulators in registers, dw written once per entry",
    )
    grad_bias = Step(
        "grad_bias",
        f"blocked pairwise summation: blocks of {BIAS_BLOCK} positions in {BIAS_LANES} 64-bit lanes, "
        "block sums combined by a binary-counter tree",
        "accurate in float32 too, and deterministic (a fixed order)",
    )
    steps: tuple[Step, ...] = (forward, grad_input, grad_weight, grad_bias)
    if threads != 1:
        steps += (Step(
            "threads",
            f"OpenMP, {threads} threads, a static split of each function's outermost loop: the batch "
            "(forward, grad_input), the output channels (grad_weight, grad_bias)",
            "each task runs one compiled function (never inlined) over its range, so every output "
            "entry gets the same machine code and order whatever the thread count: bit-identical "
            "results; without -fopenmp the pragmas are skipped and the code runs on one thread",
        ),)
    return Schedule(block, tail, residues, BIAS_BLOCK, BIAS_LANES, threads, steps)
