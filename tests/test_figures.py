"""Figures: their geometry read back from the SVG's own structure, against the definition.

The truth here is counted independently of symconv: the window of output
position ``i`` covers the padded input positions ``s·i + d·u`` for the taps
``u`` (direct loops), the sizes come from ``tests/reference.py``. The TikZ is
compiled with pdflatex, the SVG rendered in headless Chromium and its pixels
read at cell corners.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import reference
from browsertools import _decode_png, run_chromium, screenshot
from doctools import compile_tex, pdf_text, require_tool

from symconv import ConvSpec
from symconv.cli import main
from symconv.errors import FigureError
from symconv.figures import figure
from symconv.figures.build import MAX_STRIP
from symconv.figures.model import COLOURS
from symconv.figures.printers import CELL_PX

SVG = "{http://www.w3.org/2000/svg}"

# (input, kernel, stride, padding, dilation, dims): strides, paddings (also asymmetric "same"),
# dilations, 1-D and 2-D, square and not.
SPECS = [
    (5, 3, 1, 0, 1, 2), (5, 3, 2, 1, 1, 2), (7, 3, 2, 1, 2, 2), ((4, 6), (2, 3), (1, 2), (0, 1), 1, 2),
    (6, 2, 1, "same", 1, 2), (8, 3, 3, 2, 1, 1), (9, 2, 2, 0, 3, 1), (4, 1, 1, 0, 1, 2),
]


def spec_of(row: tuple[object, ...]) -> ConvSpec:
    n, k, s, p, d, dims = row
    return ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, dilation=d, dims=dims)  # type: ignore[arg-type]


def _tuple(value: object, dims: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,) * dims  # type: ignore[return-value]


def truth(row: tuple[object, ...]) -> dict[str, object]:
    """What the figure must show, from the definition (direct loops) and the reference sizes."""
    n, k, s, p, d, dims = row
    n, k, s, d = (_tuple(v, dims) for v in (n, k, s, d))  # type: ignore[arg-type]
    before, after = reference.padding_amounts(p, k, d)  # type: ignore[arg-type]
    out = reference.output_size(n, k, s, p, d)  # type: ignore[arg-type]
    padded = tuple(a + b + c for a, b, c in zip(n, before, after))
    frames = []
    for position in itertools.product(*(range(o) for o in out)):
        reads = set()
        for tap in itertools.product(*(range(t) for t in k)):
            at = tuple(si * pi + di * ti for si, pi, di, ti in zip(s, position, d, tap))
            reads.add(at if dims == 2 else (0, *at))
        frames.append((position if dims == 2 else (0, *position), reads))
    return {"n": n, "k": k, "out": out, "padded": padded, "frames": frames}


def prod(values: tuple[int, ...]) -> int:
    result = 1
    for v in values:
        result *= v
    return result


def cells(root: ET.Element, grid: str, role: str | None = None) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-grid") == grid
            and (role is None or r.get("data-role") == role)]


def index(text: str | None) -> tuple[int, ...]:
    assert text is not None
    return tuple(int(v) for v in text.split(","))


@pytest.mark.parametrize("row", SPECS, ids=[str(r) for r in SPECS])
def test_the_sliding_window_shows_what_each_output_reads(row: tuple[object, ...]) -> None:
    want = truth(row)
    root = ET.fromstring(figure(spec_of(row), "sliding").svg())
    assert len(cells(root, "input", "input")) == prod(want["n"])  # type: ignore[arg-type]
    assert len(cells(root, "input", "padding")) == prod(want["padded"]) - prod(want["n"])  # type: ignore[arg-type]
    assert len(cells(root, "kernel", "kernel")) == prod(want["k"])  # type: ignore[arg-type]
    assert len(cells(root, "output", "output")) == prod(want["out"])  # type: ignore[arg-type]
    frames = [g for g in root.iter(f"{SVG}g") if g.get("data-frame") is not None]
    assert len(frames) == len(want["frames"]) == int(root.get("data-frames", "-1"))  # type: ignore[arg-type]
    count = len(frames)
    for number, (frame, (output, reads)) in enumerate(zip(frames, want["frames"])):  # type: ignore[call-overload]
        assert int(frame.get("data-frame", "-1")) == number
        shown = {index(r.get("data-read")) for r in frame.iter(f"{SVG}rect") if r.get("data-read")}
        assert shown == reads, (number, shown, reads)
        written = [index(r.get("data-written")) for r in frame.iter(f"{SVG}rect") if r.get("data-written")]
        assert written == [output]
        # the animation shows frame i exactly from i/count to (i+1)/count of the loop
        animate = frame.find(f"{SVG}animate")
        assert animate is not None
        times = [float(t) for t in animate.get("keyTimes", "").split(";")]
        values = animate.get("values", "").split(";")
        ends = [*times[1:], 1.0]
        visible = [(t, end) for t, end, v in zip(times, ends, values) if v == "visible"]
        assert visible == [(pytest.approx(number / count, abs=1e-5),
                            pytest.approx((number + 1) / count, abs=1e-5))]


@pytest.mark.parametrize("row", SPECS[:4], ids=[str(r) for r in SPECS[:4]])
def test_the_strip_colours_the_cells_each_frame_reads(row: tuple[object, ...]) -> None:
    want = truth(row)
    root = ET.fromstring(figure(spec_of(row), "sliding").svg(strip=True))
    frames = want["frames"]  # type: ignore[assignment]
    shown = [f for f in range(len(frames))  # type: ignore[arg-type]
             if cells(root, f"input@{f}")]
    expected = list(range(len(frames)))  # type: ignore[arg-type]
    if len(expected) > MAX_STRIP:
        expected = expected[: (MAX_STRIP + 1) // 2] + expected[len(expected) - MAX_STRIP // 2 :]
    assert shown == expected
    assert int(root.get("data-hidden-frames", "-1")) == len(frames) - len(shown)  # type: ignore[arg-type]
    for f in shown:
        output, reads = frames[f]  # type: ignore[index]
        assert {index(c.get("data-index")) for c in cells(root, f"input@{f}", "read")} == reads
        assert [index(c.get("data-index")) for c in cells(root, f"output@{f}", "written")] == [output]


@pytest.mark.parametrize(("k", "d"), [(3, 2), (2, 3), ((3, 2), (2, 1)), (4, 1)])
def test_the_dilated_kernel_has_its_holes_and_its_span(k: object, d: object) -> None:
    spec = ConvSpec(kernel_size=k, dilation=d)  # type: ignore[arg-type]
    kernel, dil = _tuple(k, 2), _tuple(d, 2)
    span = tuple(t + (t - 1) * (e - 1) for t, e in zip(kernel, dil))  # the published k + (k-1)(d-1)
    root = ET.fromstring(figure(spec, "dilation").svg())
    taps = {index(c.get("data-index")) for c in cells(root, "dilated", "kernel")}
    assert taps == {(a * dil[0], b * dil[1]) for a in range(kernel[0]) for b in range(kernel[1])}
    assert len(cells(root, "dilated", "hole")) == prod(span) - prod(kernel)
    grid = next(g for g in root.iter(f"{SVG}g") if g.get("data-grid") == "dilated")
    assert (int(grid.get("data-rows", "0")), int(grid.get("data-cols", "0"))) == span
    assert f"= {span[0]}" in ET.tostring(root, encoding="unicode")


def test_figures_are_deterministic_and_show_in_notebooks() -> None:
    spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1)
    drawing = figure(spec, "sliding")
    assert drawing.svg() == figure(spec, "sliding").svg() and drawing.tikz() == figure(spec, "sliding").tikz()
    assert drawing._repr_svg_().startswith("<svg")
    assert "输入（补零后）" in figure(spec, "sliding", lang="zh").svg()


@pytest.mark.parametrize("kind, spec, backward, wanted", [
    ("sliding", ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1), False, ("x1", "y1")),
    ("sliding", ConvSpec(input_size=14, kernel_size=3, dims=1), False, ("x1", "y1")),
    ("dilation", ConvSpec(kernel_size=3, dilation=2), False, ("kernel", "k11")),
    ("sliding", ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1), True, ("δ11", "∂x11")),
    ("dilation", ConvSpec(kernel_size=9, dilation=3), False, ("k11", "k99", "···")),
])
def test_the_tikz_compiles_and_shows_the_figure(
    tmp_path: Path, kind: str, spec: ConvSpec, backward: bool, wanted: tuple[str, ...]
) -> None:
    require_tool("pdflatex")
    pdf = compile_tex(figure(spec, kind, backward=backward).tikz(standalone=True), tmp_path / "tikz")
    text = pdf_text(pdf)  # a sliding figure prints as its strip of frames: inputs and outputs
    assert all(word in text for word in wanted), text[:300]


def test_the_backward_strip_colours_the_cells_each_frame_reads() -> None:
    """The input gradient's slide printed as a strip: frame f's error cells read and its gradient cell."""
    spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1)
    drawing = figure(spec, "sliding", backward=True)
    root = ET.fromstring(drawing.svg(strip=True))
    for frame in drawing.model.frames[:5]:
        assert {index(c.get("data-index")) for c in cells(root, f"error@{frame.number}", "read")} == set(
            frame.reads)
        assert [index(c.get("data-index")) for c in cells(root, f"gradient@{frame.number}", "written")] == [
            frame.output]


def _pixel(png: Path, x: float, y: float) -> tuple[int, ...]:
    width, _, gray = _decode_png(png.read_bytes())
    return (gray[round(y) * width + round(x)],)


def _gray(colour: str) -> int:
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return sum(rgb) // 3


def test_the_svg_renders_in_a_browser_with_the_cells_coloured(tmp_path: Path) -> None:
    """Chromium renders the strip: a read cell, a padding cell and the written output at their colours."""
    spec = ConvSpec(input_size=4, kernel_size=2, stride=2, padding=1)
    drawing = figure(spec, "sliding")
    model = drawing.model
    page = tmp_path / "strip.svg"
    page.write_text(drawing.svg(strip=True), encoding="utf-8")
    png = screenshot(page, tmp_path / "strip.png", width=1200, height=400)
    margin = round(CELL_PX * 0.3, 1)

    def at(grid_x: float, grid_y: float) -> int:  # a point inside a cell, clear of its label
        return _pixel(png, margin + (grid_x + 0.12) * CELL_PX, margin + (grid_y + 0.12) * CELL_PX)[0]

    source = model.grid("input")
    # frame 1 reads padded (0,0), (0,1), (1,0), (1,1): (0,0) is padding but read, (2,2) is an unread input
    assert abs(at(source.x + 0, source.y + 0) - _gray(COLOURS["read"])) <= 12
    assert abs(at(source.x + 2, source.y + 2) - _gray(COLOURS["input"])) <= 12
    assert abs(at(source.x + 5, source.y + 5) - _gray(COLOURS["padding"])) <= 12


@pytest.mark.parametrize("args, message", [
    ("nope --input 3", "KIND nope is not one of sliding, dilation, backward, im2col"),
    ("sliding --dims 3 --input 3", "figures are drawn for 1-D and 2-D layers"),
    ("sliding", "--input is missing"),
    ("sliding --input 4 --format png", "--format png is not one of svg, tikz"),
    ("conv --input 3 --backward", "--backward is for KIND sliding, not conv"),
    ("backward --input 2001",
     "evaluates 4,004,010 entries, more than 4,000,000: draw it for a smaller --input"),
    ("sliding --input 2001 --backward", "a backward sliding figure of Conv2d 1→1, input 2001, kernel 3"),
    ("im2col --input 3 --in-channels 512 --out-channels 1024",
     "evaluates 4,773,888 entries, more than 4,000,000: draw it for fewer channels"),
])
def test_bad_figures_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: str, message: str
) -> None:
    out = tmp_path / "figure.svg"
    code = main(["figure", *shlex.split(args), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_the_api_refuses_in_one_line() -> None:
    with pytest.raises(FigureError, match="figure kind 'pie' is not one of sliding, dilation, backward"):
        figure(ConvSpec(input_size=3), "pie")
    with pytest.raises(FigureError, match="lang='fr'"):
        figure(ConvSpec(input_size=3), "sliding", lang="fr")


def test_the_cli_writes_svg_and_tikz(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    svg, tikz = tmp_path / "s.svg", tmp_path / "s.tex"
    assert main(["figure", "sliding", "--input", "5", "--kernel", "3", "--out", str(svg)]) == 0
    assert main(["figure", "dilation", "--kernel", "3", "--dilation", "2", "--format", "tikz",
                 "--out", str(tikz)]) == 0
    assert ET.fromstring(svg.read_text(encoding="utf-8")).get("data-kind") == "sliding"
    assert r"\begin{tikzpicture}" in tikz.read_text(encoding="utf-8")


def _label(root: ET.Element, grid: str) -> dict[tuple[int, ...], str]:
    """The label of every labelled cell of ``grid``: its position → text (letter and subscript)."""
    labels = {}
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("data-grid") == grid]
    texts = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    by_place = {(t.get("x"), t.get("y")): "".join(t.itertext()) for t in texts}
    for r in rects:
        x = round(float(r.get("x", "0")) + CELL_PX / 2, 1)
        y = round(float(r.get("y", "0")) + CELL_PX / 2, 1)
        labels[index(r.get("data-index"))] = by_place.get((str(x), str(y)), "")
    return labels


@pytest.mark.parametrize("row", SPECS, ids=[str(r) for r in SPECS])
def test_the_backward_figure_is_the_zero_inserted_padded_error_and_the_turned_kernel(
    row: tuple[object, ...]
) -> None:
    """δ_i lands at k' − 1 + s·i; tap u of the turned kernel at k' − 1 − d·u; the rest are zeros."""
    _, k, s, _, d, dims = row
    want = truth(row)
    k_, s_, d_ = (_tuple(v, dims) for v in (k, s, d))  # type: ignore[arg-type]
    out = want["out"]
    span = tuple(t + (t - 1) * (e - 1) for t, e in zip(k_, d_))
    margin = tuple(a - 1 for a in span)
    root = ET.fromstring(figure(spec_of(row), "backward").svg())
    errors, turned = _label(root, "error"), _label(root, "turned")
    core = tuple(si * (o - 1) + 1 for si, o in zip(s_, out))  # type: ignore[arg-type]
    shape = tuple(c + 2 * m for c, m in zip(core, margin))
    lift = (lambda t: t) if dims == 2 else (lambda t: (0, *t))
    assert len(errors) == prod(shape)
    expected = {lift(tuple(m + si * i for m, si, i in zip(margin, s_, at))):
                "δ" + "".join(str(i + 1) for i in at)
                for at in itertools.product(*(range(o) for o in out))}  # type: ignore[arg-type]
    assert {at: text for at, text in errors.items() if text.startswith("δ")} == expected
    assert len(cells(root, "error", "inserted")) == prod(core) - prod(out)  # type: ignore[arg-type]
    taps = {lift(tuple(a - 1 - di * u for a, di, u in zip(span, d_, tap))):
            "k" + "".join(str(u + 1) for u in tap)
            for tap in itertools.product(*(range(t) for t in k_))}
    assert {at: text for at, text in turned.items() if text.startswith("k")} == taps
    assert len(cells(root, "turned", "hole")) == prod(span) - prod(k_)


IM2COL = [(3, 2, 1, 0, 1, 2), (5, 3, 2, 1, 1, 2), (6, 3, 1, 1, 1, 2), ((4, 6), (2, 3), (1, 2), (0, 1), 1, 2),
          (9, 3, 2, 0, 2, 1)]


@pytest.mark.parametrize("row", IM2COL, ids=[str(r) for r in IM2COL])
@pytest.mark.parametrize("channels", [(1, 1), (2, 3)])
def test_im2col_shows_a_window_and_the_row_it_becomes(
    row: tuple[object, ...], channels: tuple[int, int]
) -> None:
    """X̂'s drawn entries are the reference im2col's; the marked row is the marked window's."""
    n, k, s, p, d, dims = row
    c_in, c_out = channels
    spec = ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, dilation=d, dims=dims,  # type: ignore[arg-type]
                    in_channels=c_in, out_channels=c_out)
    sizes = _tuple(n, dims)
    # every input entry numbered 1, 2, …: the reference's X̂ says which entry lands where (0: padding)
    numbered = np.arange(1, c_in * prod(sizes) + 1, dtype=np.float64).reshape(c_in, *sizes)
    x_hat = reference.im2col(numbered, _tuple(k, dims), s, p, d)  # type: ignore[arg-type]
    places = list(itertools.product(range(c_in), *(range(v) for v in sizes)))
    root = ET.fromstring(figure(spec, "im2col").svg())
    grid = next(g for g in root.iter(f"{SVG}g") if g.get("data-grid") == "x_hat")
    assert (int(grid.get("data-rows", "0")), int(grid.get("data-cols", "0"))) == x_hat.shape
    labels = _label(root, "x_hat")
    multi = c_in > 1 or c_out > 1
    for at, text in labels.items():
        if at[0] < 0 or at[1] < 0:
            assert text in ("⋯", "⋮", "⋱")  # the gap of an elided matrix
            continue
        value = int(x_hat[at])
        if value == 0:
            assert text == "0"
            continue
        channel, *place = places[value - 1]
        sub = (f"{channel + 1}," if multi else "") + ("," if any(v >= 9 for v in place) else "").join(
            str(v + 1) for v in place)
        assert text == "x" + sub, (at, text)
    # the marked row of X̂ is the window marked on the input
    marked = {index(c.get("data-index"))[0] for c in cells(root, "x_hat", "read")}
    assert len(marked) == 1
    (r,) = marked
    assert len(cells(root, "x_hat", "read")) == sum(1 for at in labels if at[0] == r and at[1] >= 0)
    window = truth((n, k, s, p, d, dims))["frames"][r][1]  # type: ignore[index]
    assert {index(c.get("data-index")) for c in cells(root, "input", "read")} == window
    assert len(cells(root, "y_hat", "written")) == c_out


# -- channels: the convolution with its groups, depthwise, pointwise, separable ------------------------


def _grid_roles(root: ET.Element) -> dict[str, set[str]]:
    """Each grid's name → the roles of its cells."""
    roles: dict[str, set[str]] = {}
    for r in root.iter(f"{SVG}rect"):
        if r.get("data-grid"):
            roles.setdefault(r.get("data-grid", ""), set()).add(r.get("data-role", ""))
    return roles


@pytest.mark.parametrize(("c_in", "c_out", "groups"), [(1, 1, 1), (2, 3, 1), (4, 4, 2), (6, 4, 2), (3, 3, 3)])
def test_the_convolution_shows_its_groups_of_kernels(c_in: int, c_out: int, groups: int) -> None:
    spec = ConvSpec(input_size=4, kernel_size=3, in_channels=c_in, out_channels=c_out, groups=groups)
    roles = _grid_roles(ET.fromstring(figure(spec, "conv").svg()))
    per_in, per_out = c_in // groups, c_out // groups
    colour = {g: f"group{g % 4}" for g in range(groups)}
    assert {name for name in roles if name.startswith("kernel:")} == {
        f"kernel:{o},{w}" for o in range(c_out) for w in range(per_in)}
    for o in range(c_out):
        assert roles[f"output:{o}"] == {colour[o // per_out]}
        assert all(roles[f"kernel:{o},{w}"] == {colour[o // per_out]} for w in range(per_in))
    for c in range(c_in):
        assert roles[f"input:{c}"] == {colour[c // per_in]}
    # who reads whom: output o reads input c exactly when they share a group
    root = ET.fromstring(figure(spec, "groups").svg())
    read = {index(c.get("data-index")) for c in cells(root, "groups")
            if c.get("data-role", "").startswith("group")}
    assert read == {(o, c) for o in range(c_out) for c in range(c_in) if o // per_out == c // per_in}
    assert len(cells(root, "groups", "hole")) == c_out * c_in - len(read)


def test_depthwise_pointwise_and_separable_show_their_stages() -> None:
    spec = ConvSpec(input_size=4, kernel_size=3, in_channels=3, out_channels=2)
    depthwise = _grid_roles(ET.fromstring(figure(spec, "depthwise").svg()))
    assert {n for n in depthwise if n.startswith("kernel:")} == {f"kernel:{c},0" for c in range(3)}
    assert all(depthwise[f"kernel:{c},0"] == {f"group{c % 4}"} for c in range(3))  # one kernel per channel
    pointwise = ET.fromstring(figure(spec, "pointwise").svg())
    kernels = [g for g in pointwise.iter(f"{SVG}g") if (g.get("data-grid") or "").startswith("kernel:")]
    assert len(kernels) == 2 * 3
    assert {(g.get("data-rows"), g.get("data-cols")) for g in kernels} == {("1", "1")}
    separable = _grid_roles(ET.fromstring(figure(spec, "separable").svg()))
    assert len([n for n in separable if n.startswith("kernel:")]) == 3
    assert len([n for n in separable if n.startswith("pointwise:")]) == 2 * 3
    assert len([n for n in separable if n.startswith("middle:")]) == 3
    assert len([n for n in separable if n.startswith("output:")]) == 2


def test_the_gallery_is_up_to_date_and_in_the_readme() -> None:
    """docs/figures/ is what docs/make_figures.py makes today, and the README shows every file."""
    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("make_figures", root / "docs" / "make_figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.figures()
    stale = [p.name for p, text in made.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"out of date, run python docs/make_figures.py: {stale}"
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/figures/{p.name}" in readme for p in made), "the README's gallery misses a figure"


@pytest.mark.parametrize(("row", "backward"), [
    ((4, 2, 2, 1, 1, 2), False), ((7, 3, 1, 0, 2, 2), False), ((8, 3, 3, 2, 1, 1), False),
    ((4, 2, 2, 1, 1, 2), True),
])
def test_the_animation_plays_in_a_browser(tmp_path: Path, row: tuple[object, ...], backward: bool) -> None:
    """Chromium runs the SVG's own animation: at the middle of each frame's time, that frame alone shows
    (stride and padding, dilation, 1-D, the input gradient's slide)."""
    require_tool("chromium", "apt-get install --no-install-recommends chromium")
    svg = figure(spec_of(row), "sliding", backward=backward).svg()
    root = ET.fromstring(svg)
    frames = int(root.get("data-frames", "0"))
    assert frames == (len(truth(row)["frames"]) if not backward else 36)  # type: ignore[arg-type]
    duration = float(root.find(f".//{SVG}animate").get("dur", "0s").rstrip("s"))  # type: ignore[union-attr]
    probe = """<script>
const svg = document.querySelector("svg");
svg.pauseAnimations();
const seen = [];
const pause = () => new Promise(done => setTimeout(done, 50));
(async () => {
  for (let i = 0; i < FRAMES; i++) {
    svg.setCurrentTime((i + 0.5) * DURATION / FRAMES);
    await pause();  // let the animation apply its value before reading it
    const shown = [...svg.querySelectorAll("[data-frame]")]
      .filter(g => getComputedStyle(g).visibility === "visible").map(g => g.getAttribute("data-frame"));
    seen.push(shown.join("+"));
  }
  document.body.setAttribute("data-seen", seen.join(" "));
})();
</script>""".replace("FRAMES", str(frames)).replace("DURATION", str(duration))
    page = tmp_path / "animation.html"
    page.write_text(f"<!DOCTYPE html><html><body>{svg}{probe}</body></html>", encoding="utf-8")
    dom = run_chromium(page, "--dump-dom").stdout
    seen = re.search(r'data-seen="([^"]*)"', dom)
    assert seen, dom[-500:]
    assert seen[1].split(" ") == [str(i) for i in range(frames)]


# -- derive --figures: the figures beside the formulas ------------------------------------------------


def test_derive_puts_the_figures_beside_the_formulas_in_latex(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "conv.tex"
    assert main(["derive", "--input", "3", "--kernel", "2", "--backward", "--figures", "--format", "tex",
                 "--out", str(out)]) == 0
    tex = out.read_text(encoding="utf-8")
    assert r"\usepackage{tikz}" in tex
    kinds = re.findall(r"% symconv figure: (\w+)", tex)
    assert kinds == ["sliding", "im2col", "backward"]
    # the note's example shows the im2col picture beside X̂: after the columns' layout, before X̂
    columns = tex.index("Its columns, one per kernel tap")
    picture = tex.index("% symconv figure: im2col")
    x_hat = tex.index(r"\hat{X} = \begin{pmatrix}")
    assert columns < picture < x_hat
    pdf = compile_tex(tex, tmp_path / "tex")
    assert "window of output" in pdf_text(pdf)
    plain = tmp_path / "plain.tex"
    assert main(["derive", "--input", "3", "--kernel", "2", "--format", "tex", "--out", str(plain)]) == 0
    assert "tikz" not in plain.read_text(encoding="utf-8")  # no figures unless asked


def test_derive_writes_the_svg_files_beside_the_markdown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "conv.md"
    assert main(["derive", "--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1",
                 "--in-channels", "4", "--out-channels", "4", "--groups", "2", "--backward", "--figures",
                 "--format", "markdown", "--out", str(out)]) == 0
    markdown = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert links == ["conv-1-sliding.svg", "conv-2-conv.svg", "conv-3-groups.svg", "conv-4-im2col.svg",
                     "conv-5-backward.svg"]
    for name in links:
        assert ET.fromstring((tmp_path / name).read_text(encoding="utf-8")).tag == f"{SVG}svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*links, "conv.md"])


@pytest.mark.parametrize("args, message", [
    (["--figures"], "--figures draws into a document: use --format tex or --format markdown"),
    (["--figures", "--format", "markdown"], "give --out FILE.md"),
])
def test_derive_figures_are_refused_where_they_cannot_go(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["derive", "--input", "3", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_figure_that_cannot_be_drawn_is_left_out_with_a_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "conv.tex"
    assert main(["derive", "--dims", "3", "--input", "3", "--kernel", "2", "--figures", "--format", "tex",
                 "--out", str(out)]) == 0
    tex = out.read_text(encoding="utf-8")
    assert "figure is left out here: figures are drawn for 1-D and 2-D layers" in tex
    compile_tex(tex, tmp_path / "tex")


@pytest.mark.parametrize("kind, spec", [
    ("sliding", ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1)),
    ("backward", ConvSpec(input_size=5, kernel_size=2, stride=2, dilation=2)),
    ("groups", ConvSpec(input_size=3, in_channels=4, out_channels=6, groups=2)),
    ("im2col", ConvSpec(input_size=4, kernel_size=2, in_channels=2, out_channels=2)),
])
def test_every_cell_shows_its_colour_in_a_browser(tmp_path: Path, kind: str, spec: ConvSpec) -> None:
    """Chromium's pixels at a corner of every cell are the colour the cell's role has."""
    svg = figure(spec, kind).svg(strip=kind == "sliding")
    page = tmp_path / "figure.svg"
    page.write_text(svg, encoding="utf-8")
    root = ET.fromstring(svg)
    png = screenshot(page, tmp_path / "figure.png", width=int(float(root.get("width", "0"))) + 20,
                     height=int(float(root.get("height", "0"))) + 20)
    margin = float(root.get("viewBox", "0").split()[0])  # negative: the drawing starts that far in
    width, _, gray = _decode_png(png.read_bytes())
    checked = 0
    for rect in root.iter(f"{SVG}rect"):
        role = rect.get("data-role")
        if role is None:
            continue
        x = float(rect.get("x", "0")) - margin + 4  # inside the cell, clear of its border and label
        y = float(rect.get("y", "0")) - margin + 4
        assert abs(gray[round(y) * width + round(x)] - _gray(COLOURS[role])) <= 12, (role, rect.attrib)
        checked += 1
    assert checked > 10


def kept_of(n: int) -> list[int]:
    """The positions a picture draws of ``n``: all up to 16, else the first and last 8."""
    return list(range(n)) if n <= 16 else [*range(8), *range(n - 8, n)]


LARGE = [(20, 3, 1, 0, 1, 2), (40, 20, 1, 0, 1, 2), (20, 3, 1, 0, 5, 2), (60, 3, 2, 1, 1, 1),
         (24, 3, 1, 0, 1, 2)]


@pytest.mark.parametrize("row", LARGE, ids=[str(r) for r in LARGE])
def test_a_large_layer_is_elided_and_each_frame_marks_its_window(row: tuple[object, ...]) -> None:
    """Beyond 16 cells a side the input, kernel and output keep their first and last 8 rows and
    columns; every output drawn has a frame marking the drawn cells its window reads (counted by
    direct loops) and, dashed, the gap cells standing for the rows or columns of it left out."""
    want = truth(row)
    dims = row[-1]
    root = ET.fromstring(figure(spec_of(row), "sliding").svg())
    plane = (lambda t: t) if dims == 2 else (lambda t: (1, *t))
    rows, cols = plane(want["padded"])  # type: ignore[operator]
    drawn = {(r, c) for r in kept_of(rows) for c in kept_of(cols)}
    assert {index(c.get("data-index")) for c in cells(root, "input") if c.get("data-role") != "gap"} == drawn
    k_rows, k_cols = plane(want["k"])  # type: ignore[operator]
    assert {index(c.get("data-index")) for c in cells(root, "kernel", "kernel")} == {
        (r, c) for r in kept_of(k_rows) for c in kept_of(k_cols)}
    o_rows, o_cols = plane(want["out"])  # type: ignore[operator]
    expected = [(output, reads) for output, reads in want["frames"]  # type: ignore[attr-defined]
                if output[0] in kept_of(o_rows) and output[1] in kept_of(o_cols)]
    frames = [g for g in root.iter(f"{SVG}g") if g.get("data-frame") is not None]
    assert len(frames) == len(expected) == len(kept_of(o_rows)) * len(kept_of(o_cols))
    for frame, (output, reads) in zip(frames, expected):
        rects = list(frame.iter(f"{SVG}rect"))
        assert {index(r.get("data-read")) for r in rects if r.get("data-read")} == reads & drawn
        gaps = {(r if r in kept_of(rows) else -1, c if c in kept_of(cols) else -1) for r, c in reads - drawn}
        assert {index(r.get("data-through")) for r in rects if r.get("data-through")} == gaps
        assert [index(r.get("data-written")) for r in rects if r.get("data-written")] == [output]
    shown = ET.tostring(root, encoding="unicode")
    total = len(want["frames"])  # type: ignore[arg-type]
    assert (f"{len(expected)} of {total} windows drawn" in shown) == (len(expected) < total)


def test_a_large_dilated_kernel_keeps_its_corners() -> None:
    """k = 9, d = 3: the 25 × 25 dilated kernel keeps rows and columns 1–8 and 18–25; a tap where
    both are multiples of d (k_{r/d+1, c/d+1}), a hole elsewhere."""
    root = ET.fromstring(figure(ConvSpec(kernel_size=9, dilation=3), "dilation").svg())
    labels = _label(root, "dilated")
    kept = kept_of(25)
    assert {at for at in labels if -1 not in at} == {(r, c) for r in kept for c in kept}
    for (r, c), text in labels.items():
        if -1 in (r, c):
            assert text in ("⋯", "⋮", "⋱")
        elif r % 3 == 0 and c % 3 == 0:
            assert text == f"k{r // 3 + 1}{c // 3 + 1}", (r, c, text)
        else:
            assert text == "0", (r, c, text)
    assert "9 + (9 - 1)(3 - 1) = 25" in ET.tostring(root, encoding="unicode")


def test_large_maps_and_many_channels_keep_their_corners() -> None:
    """A 20 × 20 input: each map of the convolution picture draws its first and last 4 rows and columns,
    a gap between; 64 channels in 4 groups: the groups picture keeps the first and last 16 of each side, each
    cell coloured by the definition's group map; a 3-D layer draws its groups too."""
    root = ET.fromstring(figure(ConvSpec(input_size=20, kernel_size=3, in_channels=2, out_channels=3),
                                "conv").svg())
    for name in ("input:0", "input:1", "output:0", "output:2"):
        drawn = {index(c.get("data-index")) for c in cells(root, name) if c.get("data-role") != "gap"}
        size = 20 if name.startswith("input") else 18
        kept = [*range(4), *range(size - 4, size)]
        assert drawn == {(r, c) for r in kept for c in kept}, name
    for dims in (2, 3):
        spec = ConvSpec(input_size=4, kernel_size=1, in_channels=64, out_channels=64, groups=4, dims=dims)
        root = ET.fromstring(figure(spec, "groups").svg())
        roles = {index(c.get("data-index")): c.get("data-role") for c in cells(root, "groups")}
        kept = [*range(16), *range(48, 64)]
        assert {at for at in roles if -1 not in at} == {(o, c) for o in kept for c in kept}
        for (o, c), role in roles.items():
            if -1 in (o, c):
                assert role == "gap"
            else:  # output o (group o // 16) reads the 16 input channels of its group
                assert role == (f"group{o // 16}" if c // 16 == o // 16 else "hole"), (o, c, role)


def _sub(at: tuple[int, ...]) -> str:
    shown = [str(i + 1) for i in at]
    return ("," if any(len(t) > 1 for t in shown) else "").join(shown)


@pytest.mark.parametrize("row", SPECS, ids=[str(r) for r in SPECS])
def test_the_backward_slide_is_the_transposed_convolution_of_the_definition(row: tuple[object, ...]) -> None:
    """The input gradient's slide: at padded input position j the turned kernel, over the zero-inserted
    padded error, pairs exactly the δ_o and taps k_u whose forward window put tap u on j (s·o + d·u = j,
    direct loops); one frame per position of the full convolution; the padding's positions cropped,
    the others labelled ∂x with their input position, the stride's unused tail zero."""
    n, k, s, p, d, dims = row
    want = truth(row)
    k_, s_, d_ = (_tuple(v, dims) for v in (k, s, d))  # type: ignore[arg-type]
    out, padded = want["out"], want["padded"]
    before = reference.padding_amounts(p, k_, d_)[0]  # type: ignore[arg-type]
    lift = (lambda t: t) if dims == 2 else (lambda t: (0, *t))
    pairs: dict[tuple[int, ...], set[tuple[str, str]]] = {}
    for o in itertools.product(*(range(v) for v in out)):  # type: ignore[attr-defined]
        for u in itertools.product(*(range(t) for t in k_)):
            j = lift(tuple(si * oi + di * ui for si, oi, di, ui in zip(s_, o, d_, u)))
            pairs.setdefault(j, set()).add(("δ" + _sub(o), "k" + _sub(u)))
    root = ET.fromstring(figure(spec_of(row), "sliding", backward=True).svg())
    errors, turned, gradient = _label(root, "error"), _label(root, "turned"), _label(root, "gradient")
    span = tuple(t + (t - 1) * (e - 1) for t, e in zip(k_, d_))
    full = tuple(si * (o - 1) + a for si, o, a in zip(s_, out, span))  # type: ignore[arg-type]
    frames = [g for g in root.iter(f"{SVG}g") if g.get("data-frame") is not None]
    assert len(frames) == prod(full)
    for frame in frames:
        rects = list(frame.iter(f"{SVG}rect"))
        reads = [index(r.get("data-read")) for r in rects if r.get("data-read")]
        (j,) = [index(r.get("data-written")) for r in rects if r.get("data-written")]
        origin = reads[0]
        shown = set()
        for r in reads:
            tap = tuple(a - b for a, b in zip(r, origin))
            if errors[r].startswith("δ") and turned[tap].startswith("k"):
                shown.add((errors[r], turned[tap]))
        assert shown == pairs.get(j, set()), (j, shown, pairs.get(j))
    n_ = _tuple(n, dims)
    for j in itertools.product(*(range(v) for v in padded)):  # type: ignore[attr-defined]
        inside = all(b <= a < b + m for a, b, m in zip(j, before, n_))
        reached = all(a < f for a, f in zip(j, full))
        label = gradient[lift(j)]
        if not inside:
            assert label == "", (j, label)
        elif reached:
            assert label == "∂x" + _sub(tuple(a - b for a, b in zip(j, before))), (j, label)
        else:  # no forward window reads this input: its gradient is zero
            assert label == "0" and lift(j) not in pairs, (j, label)


def test_figures_in_a_chinese_document_compile_with_xelatex(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    require_tool("xelatex", "apt-get install --no-install-recommends texlive-xetex texlive-lang-chinese")
    out = tmp_path / "conv.tex"
    assert main(["derive", "--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1",
                 "--in-channels", "2", "--out-channels", "2", "--backward", "--figures", "--format", "tex",
                 "--lang", "zh", "--out", str(out)]) == 0
    pdf = compile_tex(out.read_text(encoding="utf-8"), tmp_path / "tex", engine="xelatex")
    text = pdf_text(pdf)
    assert "输入（补零后）" in text and "卷积核：膨胀、旋转后" in text


def test_large_backward_and_im2col_pictures_keep_their_corners() -> None:
    """A 20 × 20 input: the padded error and the input keep their first and last 8 rows and columns;
    every δ and every window cell drawn is where the definition puts it."""
    row = (20, 3, 1, 1, 1, 2)
    want = truth(row)
    spec = spec_of(row)
    root = ET.fromstring(figure(spec, "backward").svg())
    errors = _label(root, "error")
    kept = list(range(8)) + list(range(16, 24))  # n' = 20: the padded error is 20 + 2·2 = 24 a side
    assert {at for at in errors if at[0] >= 0 and at[1] >= 0} == {(r, c) for r in kept for c in kept}
    assert cells(root, "error", "gap")
    expected = {(2 + i, 2 + j): f"δ{i + 1},{j + 1}" if max(i, j) >= 9 else f"δ{i + 1}{j + 1}"
                for i in range(20) for j in range(20) if 2 + i in kept and 2 + j in kept}
    assert {at: text for at, text in errors.items() if text.startswith("δ")} == expected
    root = ET.fromstring(figure(spec, "im2col").svg())
    drawn = {index(c.get("data-index")) for c in cells(root, "input") if c.get("data-role") != "gap"}
    read = {index(c.get("data-index")) for c in cells(root, "input", "read")}
    marked = {index(c.get("data-index"))[0] for c in cells(root, "x_hat", "read")}
    assert len(marked) == 1 and read == want["frames"][marked.pop()][1] and read <= drawn  # type: ignore[index]


def test_many_channels_keep_the_first_and_last() -> None:
    """12 → 12 channels in 3 groups: the first and last 4 of each, a ⋮ between; colours by group."""
    spec = ConvSpec(input_size=3, kernel_size=2, in_channels=12, out_channels=12, groups=3)
    roles = _grid_roles(ET.fromstring(figure(spec, "conv").svg()))
    kept = [0, 1, 2, 3, 8, 9, 10, 11]
    assert {int(n.split(":")[1]) for n in roles if n.startswith("input:") and n != "input:gap"} == set(kept)
    assert {int(n.split(":")[1]) for n in roles if n.startswith("output:") and n != "output:gap"} == set(kept)
    assert roles["input:gap"] == roles["output:gap"] == {"gap"}
    for c in kept:
        assert roles[f"input:{c}"] == {f"group{c // 4}"}
        assert roles[f"output:{c}"] == {f"group{c // 4}"}
        assert all(roles[f"kernel:{c},{w}"] == {f"group{c // 4}"} for w in range(4))


TITLED = [("sliding", ConvSpec(input_size=3, kernel_size=2), False),
          ("sliding", ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1), True),
          ("backward", ConvSpec(input_size=3, kernel_size=2), False),
          ("dilation", ConvSpec(kernel_size=2, dilation=2), False),
          ("im2col", ConvSpec(input_size=3, kernel_size=2), False),
          ("separable", ConvSpec(input_size=3, kernel_size=2, in_channels=2, out_channels=2), False),
          ("groups", ConvSpec(in_channels=2, out_channels=2, groups=2), False)]


def test_titles_overlap_nothing_in_a_browser(tmp_path: Path) -> None:
    """Chromium lays out every kind (English and Chinese): no grid's title box meets another title or a
    cell of another grid, and every box lies inside the canvas."""
    require_tool("chromium", "apt-get install --no-install-recommends chromium")
    svgs = [figure(spec, kind, lang, backward).svg()
            for kind, spec, backward in TITLED for lang in ("en", "zh")]
    probe = """<script>
const meet = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width
  && a.y < b.y + b.height && b.y < a.y + a.height;
const found = [];
document.querySelectorAll("svg").forEach((svg, n) => {
  const view = svg.viewBox.baseVal;
  const titles = [...svg.querySelectorAll("g[data-grid] > text:not([text-anchor])")]
    .map(t => [t.parentNode.getAttribute("data-grid"), t.getBBox(), t.textContent]);
  const cells = [...svg.querySelectorAll("rect[data-grid]")]
    .map(r => [r.getAttribute("data-grid"), r.getBBox()]);
  for (const [grid, box, text] of titles) {
    if (box.x < view.x || box.x + box.width > view.x + view.width) found.push(`${n}: ${text} outside`);
    for (const [other, b, t] of titles) {
      if (other !== grid && meet(box, b)) found.push(`${n}: ${text} meets ${t}`);
    }
    const hit = cells.find(([other, b]) => other !== grid && meet(box, b));
    if (hit) found.push(`${n}: ${text} meets ${hit[0]}`);
  }
});
document.body.setAttribute("data-found", found.join(" | ") || "none");
</script>"""
    page = tmp_path / "titles.html"
    page.write_text(f"<!DOCTYPE html><html><body>{''.join(svgs)}{probe}</body></html>", encoding="utf-8")
    dom = run_chromium(page, "--dump-dom").stdout
    found = re.search(r'data-found="([^"]*)"', dom)
    assert found, dom[-500:]
    assert found[1] == "none", found[1]
