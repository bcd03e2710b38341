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
BIAS_LANES = 32  # grad_bias: independent float64 accumulators (eight AVX2 vectors)
BIAS_ROWS = 4  # grad_bias, float64: rows of BIAS_LANES positions per block before the compensated add


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
    bias_lanes: int
    bias_rows: int  # grad_bias: rows of lanes per compensated block (float64); 0: every value added directly
    threads: int  # OpenMP threads over the outer loops (1: no OpenMP)
    steps: tuple[Step, ...]

    def lines(self) -> list[str]:
        return [step.line() for step in self.steps]


def schedule(spec: ConvSpec, dtype: str = "float32", threads: int = 1) -> Schedule:
    """The schedule of ``spec``'s C code in ``dtype`` on ``threads`` OpenMP threads."""
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
    if dtype == "float32":
        bias_rows = 0
        grad_bias = Step(
            "grad_bias",
            f"{BIAS_LANES} float64 accumulators along each map (converted exactly from float32), tails into "
            "the first lanes, the lanes summed pairwise, rounded to float32 once",
            "a float64 sum of m float32 values errs by at most m·2^-53 of their absolute sum (2^-33 below "
            "2^20 values), so the result is float32's rounding of the exact sum but for that margin; it "
            "vectorises and runs at memory speed like a float sum; a fixed order (deterministic)",
        )
    else:
        bias_rows = BIAS_ROWS
        grad_bias = Step(
            "grad_bias",
            f"blocks of {BIAS_ROWS}×{BIAS_LANES} positions summed in {BIAS_LANES} lanes, each block added "
            "to its lane's total with compensation (Kahan), then the lanes and what they lost added with "
            "compensation too",
            f"the error bound does not grow with the size: about {BIAS_ROWS - 1 + 2 + 2 + 1}·2^-53 of the "
            f"absolute sum ({BIAS_ROWS}-term blocks, Kahan's 2 twice, 1 to apply the last correction), "
            "against the log2 of the size for a pairwise sum; the compensated add costs little per block; "
            "a fixed order (deterministic)",
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
    return Schedule(block, tail, residues, BIAS_LANES, bias_rows, threads, steps)
