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
WEIGHT_ROWS = 6  # blocked grad_weight: output channels per tile (each x load shared by them)
INPUT_ROWS = 6  # blocked grad_input: input channels per tile (each dy load shared by them)
INPUT_CHUNK = 16  # blocked grad_input: output channels per pass over the positions (their dy stays in cache)
INPUT_VECTORS = 2  # blocked grad_input: vectors of positions per tile (each weight broadcast shared by them)
WEIGHT_COLS = 2  # blocked grad_weight: (input channel, tap) columns per tile (each dy load shared by them)


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
    weight_tile: tuple[int, int] | None  # blocked grad_weight: rows x columns of a tile; None: per (o, c)
    weight_tiles: tuple[tuple[int, int], ...]  # the tile shapes the layer needs (full ones, then tails)
    weight_copies: tuple[bool, bool]  # blocked grad_weight: x zero-padded, dy on the padded strides
    input_tile: tuple[int, int] | None  # blocked grad_input: rows x vectors of a tile; None: the gather
    input_tiles: tuple[tuple[int, int], ...]
    input_chunk: int
    steps: tuple[Step, ...]

    def lines(self) -> list[str]:
        return [step.line() for step in self.steps]


def schedule(spec: ConvSpec) -> Schedule:
    """The schedule of ``spec``'s C code."""
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
    extent = [e - 1 for e in spec.effective_kernel]
    input_blocked = (unit and spec.group_in > 1 and group_out > 1
                     and all(b <= e and a <= e for b, a, e in zip(spec.pad_before, spec.pad_after, extent)))
    if input_blocked:
        in_rows = min(INPUT_ROWS, spec.group_in)
        input_tile: tuple[int, int] | None = (in_rows, INPUT_VECTORS)
        input_tiles = tuple(dict.fromkeys(
            (r, v) for r in (in_rows, spec.group_in % in_rows) if r for v in (INPUT_VECTORS, 1)))
    else:
        input_tile, input_tiles = None, ()
    grad_input = Step(
        "grad_input",
        f"blocked gather (a matrix product: rows c, {INPUT_VECTORS} vectors of input positions, reduction "
        "over (o, tap) in a fixed order): dy copied per sample zero-padded by d*(k-1) - p_before on "
        "strides where every tap reads one contiguous window, tiles of "
        f"{input_tile[0]} input channels x {INPUT_VECTORS} vectors in registers (AVX2+FMA or portable "
        f"C), then single vectors and single positions; output channels in chunks of {INPUT_CHUNK} "
        "per pass, each tap's chunk sum added to dx in order",
        f"channel-heavy with unit stride (C_in/G = {spec.group_in}, C_out/G = {group_out}): each dy "
        "load shared by the tile's input channels, each weight by its positions; no scatter, each "
        "dx entry written once",
    ) if input_tile is not None else Step(
        "grad_input",
        "gather (full correlation of the zero-inserted dy with the flipped, dilated kernel), "
        + (f"one loop nest per residue of the input position mod the stride ({residues} nests)"
           if residues > 1 else "one loop nest"),
        "rows split into the interior (no bounds tests) and the guarded border; one accumulator "
        "per tap over the output channels, summed pairwise; no scatter: each dx entry written "
        "once; the residue decides which taps read it, so no divisibility test runs in C",
    )
    blocked = unit and spec.group_in > 1 and group_out > 1
    if blocked:
        taps = math.prod(spec.kernel)
        rows, cols = min(WEIGHT_ROWS, group_out), min(WEIGHT_COLS, spec.group_in * taps)
        row_sizes = [r for r in (rows, group_out % rows) if r]
        col_sizes = [c for c in (cols, spec.group_in * taps % cols) if c]
        weight_tile: tuple[int, int] | None = (rows, cols)
        weight_tiles = tuple(dict.fromkeys((r, c) for r in row_sizes for c in col_sizes))
        # x needs its padding written out; dy needs the padded strides when the kernel spans more
        # than one position in a dimension after the first (the window would wrap into the next row)
        weight_copies = (spec.is_padded, any(e > 1 for e in spec.effective_kernel[1:]))
        copies = [name for name, needed in zip(("x zero-padded", "dy on the padded strides"),
                                               weight_copies) if needed]
        grad_weight = Step(
            "grad_weight",
            f"blocked reduction (a matrix product: rows o, columns (c, tap), reduction over the batch "
            f"and the flat positions): tiles of {rows} output channels x {cols} columns, one vector "
            "accumulator per entry along the positions (AVX2+FMA, or the same lanes in portable C), "
            "lanes summed pairwise once per tile; "
            + ("per sample " + " and ".join(copies) + " copied, so every tap reads one contiguous "
               "window without bounds tests" if copies else "x and dy read in place (no copies)"),
            f"channel-heavy with unit stride (C_in/G = {spec.group_in}, C_out/G = {group_out}): each dy "
            "load shared by the tile's columns, each x load by its rows; beats one accumulator per "
            "(o, c) tap, which reloads both for every output channel",
        )
    else:
        weight_tile, weight_tiles, weight_copies = None, (), (False, False)
        grad_weight = Step(
            "grad_weight",
            "per (o, c) one accumulator per tap over the batch and every output position, rows split "
            "into the interior (no bounds tests) and the guarded border",
            "accumulators in registers, dw written once per entry; "
            + ("strided: the blocked reduction needs unit stride" if not unit else
               "a single input or output channel per group: nothing for a channel tile to share"),
        )
    grad_bias = Step(
        "grad_bias",
        f"blocked pairwise summation: blocks of {BIAS_BLOCK} positions in {BIAS_LANES} 64-bit lanes, "
        "block sums combined by a binary-counter tree",
        "accurate in float32 too, and deterministic (a fixed order)",
    )
    return Schedule(block, tail, residues, BIAS_BLOCK, BIAS_LANES, weight_tile, weight_tiles, weight_copies,
                    input_tile, input_tiles, INPUT_CHUNK, (forward, grad_input, grad_weight, grad_bias))
