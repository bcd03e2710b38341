"""The schedule of the generated C: the loop structure of each function, and why it was chosen.

Chosen here from the spec, used by the C backend and printed into the header
comment of every generated C file, so that a reader of the C sees what was
chosen without reverse-engineering the loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from symconv.spec import ConvSpec

OUT_BLOCK = 4  # forward (direct): output channels per block, sharing each input load (4 accumulators)
# forward (GEMM): the register block, MR output channels x RH rows x NV vectors along the row, for 16
# vector registers (AVX2, portable C; measured on f, c, e: 12 accumulators + the loaded vector and the
# broadcast weight fit 16 AVX2 registers; more vectors per row spill under gcc)
GEMM_MR, GEMM_RH, GEMM_NV = 6, 2, 1
FLAT_NV = 2  # the 1x1 GEMM: vectors per block (no rows): MR x 2 accumulators
STENCIL_RH, STENCIL_NV = 4, 2  # depthwise: one channel, 4 rows x 2 vectors of accumulators
# the same with 32 vector registers (AVX-512), measured on f, c, e, d (Zen 5): MR x RH x NV, the flat
# GEMM's vectors, the depthwise stencil's rows x vectors
WIDE_MR, WIDE_RH, WIDE_NV = 8, 2, 1
WIDE_FLAT_NV = 2
WIDE_STENCIL_RH, WIDE_STENCIL_NV = 4, 2
GEMM_MIN_OUT = 4  # forward: the GEMM needs at least this many output channels per group
BIAS_LANES = 32  # grad_bias: independent float64 accumulators (eight AVX2 vectors)
BIAS_ROWS = 4  # grad_bias, float64: rows of BIAS_LANES positions per block before the compensated add
WEIGHT_ROWS = 6  # blocked grad_weight: output channels per tile (each x load shared by them)
INPUT_ROWS = 6  # blocked grad_input: input channels per tile (each dy load shared by them)
INPUT_CHUNK = 16  # blocked grad_input: output channels per pass over the positions (their dy stays in cache)
INPUT_VECTORS = 2  # blocked grad_input: vectors of positions per tile (each weight broadcast shared by them)
# GEMM forward: at least this many units per sample for the threads, each group cut into parts of its first
# output dimension where there are fewer groups (one part where there are enough: measured on d, a part per
# group runs 6-17% faster, its row loop over constant bounds)
FORWARD_PARTS = 4
PARALLEL_MACS = 1 << 17  # threads: fewer multiply-adds per call run on one thread (a wake-up costs more)
PARALLEL_SUMS = 1 << 15  # threads: grad_bias summing fewer values per call runs on one thread
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
class Blocking:
    """The register block of the GEMM forward: MR channels × RH rows × NV vectors of positions."""

    mr: int  # output channels per block (a group's C_out/G when smaller)
    rh: int  # output rows per block along the innermost outer dimension (1 for 1-D and flat)
    nv: int  # vectors of positions along the row per block
    flat: bool  # 1×1, unit stride, no padding: the spatial dimensions are one row, x read in place


@dataclass(frozen=True)
class Schedule:
    """The schedule of the four functions, and the block sizes the C backend prints."""

    gemm: Blocking | None  # forward: the register-blocked GEMM's blocking, None for the direct stencil
    gemm_wide: Blocking | None  # the same with 32 vector registers (AVX-512)
    forward_parts: int  # GEMM forward: the parts of a group's first output dimension, one unit each
    out_block: int  # forward: output channels per block (1 when a group has fewer)
    out_tail: bool  # forward: single output channels after the blocks (C_out/G not a multiple)
    residues: int  # grad_input: loop nests, one per residue of the input position mod the stride
    bias_lanes: int
    weight_tile: tuple[int, int] | None  # blocked grad_weight: rows x columns of a tile; None: per (o, c)
    weight_tiles: tuple[tuple[int, int], ...]  # the tile shapes the layer needs (full ones, then tails)
    weight_copies: tuple[bool, bool]  # blocked grad_weight: x zero-padded, dy on the padded strides
    input_tile: tuple[int, int] | None  # blocked grad_input: rows x vectors of a tile; None: the gather
    input_tiles: tuple[tuple[int, int], ...]
    input_chunk: int
    bias_rows: int  # grad_bias: rows of lanes per compensated block (float64); 0: every value added directly
    threads: int  # OpenMP threads over the outer loops (1: no OpenMP)
    least_positions: int  # threads: the fewest output positions of a batch run on them (else one thread)
    least_bias_positions: int  # the same for grad_bias
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
    gemm, gemm_wide = gemm_blocking(spec), gemm_blocking(spec, wide=True)
    forward = gemm_step(spec, gemm, gemm_wide) if gemm is not None and gemm_wide is not None else Step(
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
        f"{input_tile[0]} input channels x {INPUT_VECTORS} AVX2 vectors in registers (AVX-512: the "
        "same positions in half as many vectors; AVX2+FMA; or portable "
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
            "accumulator per entry along the positions (AVX-512: 16 float lanes; AVX2+FMA: 8; portable "
            "C: AVX2's lanes), "
            "lanes summed pairwise once per tile; "
            + ("sample by sample: its " + " and ".join(copies) + " copied (the threads split the "
               "planes), so every tap reads one contiguous window without bounds tests, then each "
               "block of the tile's output channels adds the sample into its dw rows"
               if copies else "x and dy read in place (no copies), each block of the tile's output "
               "channels over the whole batch"),
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
            f"OpenMP, {threads} threads sharing out the units of a function in equal contiguous "
            "ranges: the samples (stencil forward, gather grad_input), the output channels "
            "(grad_weight, grad_bias); the GEMM forward and the blocked gradients instead "
            "hand out units one at a time as threads finish (dynamic schedule): (sample, group, "
            f"part of the first output dimension: {FORWARD_PARTS} units per sample or more) for the forward, "
            "(sample, block of the tile's input channels) for grad_input, per sample the blocks of "
            "the tile's output channels for grad_weight after the threads split the sample's copies; "
            "scratch buffers one per thread (grad_weight's copies shared)",
            "each call of a task runs one unit through one compiled function (never inlined), so "
            "every output entry gets the same machine code, the same version of each loop the "
            "compiler versions by trip count, and the same order whatever the thread count: "
            "bit-identical results; units balance cores that run at unequal speeds (a virtual "
            "machine's vCPUs measured up to 1.5x apart), where equal ranges wait for the slower "
            f"one; a call of fewer than {PARALLEL_MACS} multiply-adds ({PARALLEL_SUMS} values for "
            "grad_bias) runs the same tasks on one thread, since waking another costs more than "
            "it saves; without -fopenmp the pragmas are skipped and the code runs on one thread",
        ),)
    return Schedule(
        gemm=gemm, gemm_wide=gemm_wide, forward_parts=forward_parts(spec, gemm), out_block=block,
        out_tail=tail, residues=residues,
        bias_lanes=BIAS_LANES,
        weight_tile=weight_tile, weight_tiles=weight_tiles, weight_copies=weight_copies,
        input_tile=input_tile, input_tiles=input_tiles, input_chunk=INPUT_CHUNK, bias_rows=bias_rows,
        threads=threads, steps=steps,
        least_positions=-(-PARALLEL_MACS // (spec.out_channels * spec.group_in * math.prod(spec.kernel))),
        least_bias_positions=-(-PARALLEL_SUMS // spec.out_channels),
    )


def forward_parts(spec: ConvSpec, gemm: Blocking | None) -> int:
    """The GEMM forward's parts of each (sample, group): enough units for ``FORWARD_PARTS`` per sample.

    One for the flat 1×1 layer and 1-D layers (one row), else ``FORWARD_PARTS / groups`` rounded up.
    """
    if gemm is None or gemm.flat or spec.ndim == 1:
        return 1
    return -(-FORWARD_PARTS // spec.groups)


def gemm_blocking(spec: ConvSpec, wide: bool = False) -> Blocking | None:
    """The GEMM forward's register block for ``spec`` (``wide``: with 32 vector registers, else 16),
    or None where the direct stencil runs.

    The GEMM runs for channel-heavy layers: at least ``GEMM_MIN_OUT`` output
    channels per group (each input vector load is shared by a block of them),
    unit stride along the row (its inputs are consecutive vectors). A depthwise
    layer runs the same kernels with one channel per block (a vectorised
    stencil over the padded copy: several rows and vectors per block, taps
    unrolled). Few-channel layers keep the direct stencil (measured: the copy
    and packing cost as much as they save on a and c′), as do layers strided
    along the row (their inputs are not a vector).
    """
    if spec.strides[-1] != 1:
        return None
    gemm = (WIDE_MR, WIDE_RH, WIDE_NV) if wide else (GEMM_MR, GEMM_RH, GEMM_NV)
    flat_nv = WIDE_FLAT_NV if wide else FLAT_NV
    stencil = (WIDE_STENCIL_RH, WIDE_STENCIL_NV) if wide else (STENCIL_RH, STENCIL_NV)
    if spec.group_out == 1 and spec.group_in == 1 and spec.groups > 1:  # depthwise: a stencil per channel
        if spec.ndim == 1:
            return Blocking(mr=1, rh=1, nv=stencil[0] * stencil[1], flat=False)
        return Blocking(mr=1, rh=stencil[0], nv=stencil[1], flat=False)
    if spec.group_out < GEMM_MIN_OUT:
        return None
    flat = spec.is_pointwise and all(s == 1 for s in spec.strides) and not spec.is_padded
    mr = min(gemm[0], spec.group_out)
    if flat:
        return Blocking(mr=mr, rh=1, nv=flat_nv, flat=True)
    if spec.ndim == 1:
        return Blocking(mr=mr, rh=1, nv=gemm[1] * gemm[2], flat=False)
    return Blocking(mr=mr, rh=gemm[1], nv=gemm[2], flat=False)


def _block_words(spec: ConvSpec, gemm: Blocking) -> tuple[str, str]:
    """One register block in words, and its tails."""
    tail = spec.group_out % gemm.mr
    tails = (f"a block of the last {tail} channels, " if tail else "") + (
        f"rows past the last {gemm.rh}-row block one at a time, " if gemm.rh > 1 else "")
    rows = f"{gemm.rh} rows x " if gemm.rh > 1 else ""
    plural = ("s" if gemm.mr > 1 else "", "s" if gemm.nv > 1 else "")
    return f"{gemm.mr} output channel{plural[0]} x {rows}{gemm.nv} vector{plural[1]}", tails


def gemm_step(spec: ConvSpec, narrow: Blocking, wide: Blocking) -> Step:
    """The forward step of the GEMM schedule (``narrow``: 16 vector registers, ``wide``: 32)."""
    (small, small_tails), (big, big_tails) = _block_words(spec, narrow), _block_words(spec, wide)
    if (small, small_tails) == (big, big_tails):
        block, tails = small, small_tails
    else:
        block = f"{big} with 32 vector registers (AVX-512), {small} with 16 (AVX2, portable C)"
        tails = ("a block of the remaining channels and single rows where a block does not divide them, "
                 if big_tails or small_tails else "")
    tails = ("then " + tails if tails else "") + (
        "positions past the last block one vector, one half vector, then one position at a time")
    gemm = narrow
    if gemm.flat:
        return Step(
            "forward",
            f"plain GEMM Y[o, p] = b[o] + sum_c W[o, c] X[c, p] over the {spec.group_in} input "
            f"channels of a group, x read in place; register blocks of {block} of positions "
            "(accumulators held across the whole reduction, y written once), weights packed once "
            "per call into [c][MR] (MR: the block's channels); " + tails,
            "1x1 kernel, unit stride, no padding: every output position reads the same input "
            f"position, so the layer is a matrix product (C_out/G = {spec.group_out})",
        )
    taps = math.prod(spec.kernel)
    if gemm.mr == 1:
        return Step(
            "forward",
            "vectorised stencil per channel over a zero-padded copy of each sample (no bounds tests "
            f"anywhere: the border is the copy's zeros; each row's data on a cache line, so the copy's "
            f"stores are aligned); register blocks of {block} along the row, "
            f"the {taps} taps unrolled, y written once; {tails}",
            "depthwise (one input and one output channel per group): nothing to share across "
            "channels, so the block spans rows and vectors; a tap's inputs are consecutive vectors "
            "at the offset s*i + d*u",
        )
    return Step(
        "forward",
        "register-blocked implicit GEMM over a zero-padded copy of each sample (no bounds tests "
        "anywhere; channels interleaved by row; each row's data on a cache line); register blocks of "
        f"{block} along the row, "
        f"accumulators held across the reduction over the {spec.group_in} input channels of a group "
        f"and the {taps} unrolled taps, y written once; weights packed once per call into "
        "[c][tap][MR] (MR: the block's channels); " + tails,
        f"channel-heavy (C_out/G = {spec.group_out} >= {GEMM_MIN_OUT}) with unit stride along the "
        "row: each input vector load is shared by the block's channels and each weight broadcast "
        "by its positions; a tap's inputs are consecutive vectors at the offset s*i + d*u",
    )
