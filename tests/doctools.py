"""Tools for testing documents: compile LaTeX with pdflatex, render Markdown math with KaTeX.

Nothing here knows symconv: the helpers take text and say whether a real TeX
engine and a real KaTeX accept it.

- ``compile_tex(source, workdir)`` runs ``pdflatex -interaction=nonstopmode
  -halt-on-error`` and returns the PDF's path, or raises ``LatexError`` with the
  log's error lines; ``overfull_boxes`` and ``missing_characters`` read the log.
- ``math_blocks(markdown)`` finds the ``$$…$$`` display and ``$…$`` inline math the
  way a Markdown renderer with KaTeX does (code spans, fences, ``\\$`` are not math).
- ``katex_render(blocks)`` renders every block in ONE node process
  (``tests/katex/render.js``) with ``throwOnError: true``.

A tool that is missing skips the test with the command that installs it; in
CI (``CI=true``) ``conftest.py`` turns every skip into a failure, and
``.ci/run`` installs the tools (Debian's ``texlive-latex-base`` and
``poppler-utils``, npm's ``katex`` into ``$SYMCONV_KATEX_DIR``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
KATEX_SCRIPT = HERE / "katex" / "render.js"
KATEX_ENV = "SYMCONV_KATEX_DIR"
KATEX_DEFAULT_DIR = Path("/tmp/symconv-katex")  # where .ci/run installs it when the variable is unset
KATEX_INSTALL = f'export {KATEX_ENV}={KATEX_DEFAULT_DIR}; npm install --prefix "${KATEX_ENV}" katex'
APT_INSTALL = "apt-get install --no-install-recommends texlive-latex-base poppler-utils"

# TeX wraps its log at 79 columns unless told otherwise; one line per message is easier to read.
TEX_ENV = {"max_print_line": "10000", "error_line": "254", "half_error_line": "238"}
TEX_TIMEOUT = 180  # seconds; a document that takes longer is stuck


# -- finding the tools --------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    """The path of the executable ``name`` on PATH, or None."""
    return shutil.which(name)


def require_tool(name: str, install: str = APT_INSTALL) -> str:
    """The path of ``name``, or skip the calling test saying how to install it."""
    path = find_tool(name)
    if path is None:
        pytest.skip(f"{name} not found on PATH; install it: {install}")
    return path


def find_pdflatex() -> str | None:
    """pdflatex's path, or None."""
    return find_tool("pdflatex")


def find_katex() -> Path | None:
    """The directory whose ``node_modules/katex`` holds KaTeX (``$SYMCONV_KATEX_DIR``), or None."""
    configured = os.environ.get(KATEX_ENV)
    directory = Path(configured) if configured else KATEX_DEFAULT_DIR
    return directory if (directory / "node_modules" / "katex" / "package.json").is_file() else None


def require_katex() -> tuple[str, Path]:
    """``(node, katex directory)``, or skip the calling test saying how to install them."""
    node = require_tool("node", "apt-get install nodejs npm")
    directory = find_katex()
    if directory is None:
        where = os.environ.get(KATEX_ENV) or f"{KATEX_DEFAULT_DIR} ({KATEX_ENV} unset)"
        pytest.skip(f"KaTeX not installed in {where}; install it: {KATEX_INSTALL}")
    return node, directory


# -- LaTeX ----------------------------------------------------------------------------------------


class LatexError(AssertionError):
    """pdflatex rejected a document; the message holds the log's error lines."""


def compile_tex(source: str, workdir: Path, *, name: str = "document", engine: str = "pdflatex") -> Path:
    """Compile ``source`` in ``workdir`` and return the PDF's path (its log is ``.log`` beside it).

    Raises ``LatexError`` with the errors from the log when the engine fails or
    writes no PDF; skips the calling test when the engine is not installed. A
    document with page references (its contents) is compiled twice, as its
    preamble says, so that they resolve.
    """
    executable = require_tool(engine)
    workdir.mkdir(parents=True, exist_ok=True)
    tex = workdir / f"{name}.tex"
    tex.write_text(source, encoding="utf-8")
    for _ in range(2 if r"\pageref" in source else 1):
        try:
            run = subprocess.run(
                [executable, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
                cwd=workdir, env={**os.environ, **TEX_ENV}, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, errors="replace", timeout=TEX_TIMEOUT, check=False,
            )
        except subprocess.TimeoutExpired:
            raise LatexError(f"{engine} did not finish {tex} within {TEX_TIMEOUT} s") from None
        if run.returncode != 0:
            break
    pdf = tex.with_suffix(".pdf")
    log_path = tex.with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else run.stdout
    if run.returncode != 0 or not pdf.is_file():
        raise LatexError(
            f"{engine} failed on {tex} (exit {run.returncode}):\n{latex_errors(log)}\n"
            f"(full log: {log_path})"
        )
    return pdf


def pdf_pages(pdf: Path) -> int:
    """How many pages ``pdf`` has (``pdfinfo``, from poppler-utils)."""
    info = subprocess.run([require_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert match, info.stdout
    return int(match[1])


def pdf_text(pdf: Path) -> str:
    """The text of ``pdf`` (``pdftotext``), as a reader would copy it."""
    run = subprocess.run([require_tool("pdftotext"), str(pdf), "-"], capture_output=True, check=True)
    return run.stdout.decode("utf-8", errors="replace")


def page_fill(pdf: Path, margin_cm: float = 1.5, resolution: int = 20) -> list[float]:
    """How far down each page's ink reaches, as a fraction of the text block (its page number left out).

    Renders the pages in gray (``pdftoppm``) and reads the PGMs directly: the
    text block is the A4 page less ``margin_cm`` at top and bottom.
    """
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([require_tool("pdftoppm"), "-r", str(resolution), "-gray", str(pdf), f"{scratch}/p"],
                       check=True)
        fills = []
        for pgm in sorted(Path(scratch).glob("p*.pgm")):
            width, height, pixels = _pgm(pgm.read_bytes())
            top, bottom = round(height * margin_cm / 29.7), round(height * (29.7 - margin_cm) / 29.7)
            foot = bottom - round(height * 0.03)  # the page number
            inked = [y for y in range(top, foot) if min(pixels[y * width : (y + 1) * width]) < 200]
            fills.append((inked[-1] - top) / (bottom - top) if inked else 0.0)
        return fills


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary 8-bit PGM (as pdftoppm writes it: no comments)."""
    fields = data[:64].split(maxsplit=4)
    assert fields[0] == b"P5" and fields[3] == b"255", fields[:4]
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[-width * height :]  # the pixels end the file


def latex_errors(log: str, context: int = 6) -> str:
    """The error messages of a TeX log: each ``! …`` line up to its ``l.NN`` source line.

    Example:
        >>> print(latex_errors("(doc.tex\\n! Undefined control sequence.\\nl.5 \\\\foo\\n\\nNo pages"))
        ! Undefined control sequence.
        l.5 \\foo
    """
    lines = log.splitlines()
    found: list[str] = []
    for i, line in enumerate(lines):
        if not line.startswith("!"):
            continue
        found.append(line)
        for follow in lines[i + 1 : i + 1 + context]:
            if follow.startswith("!"):
                break
            if follow.strip():
                found.append(follow)
            if re.match(r"l\.\d+", follow):
                break
    if found:
        return "\n".join(found)
    return "no '!' error in the log; its last lines:\n" + "\n".join(lines[-20:])


@dataclass(frozen=True)
class Overfull:
    """One ``Overfull \\hbox`` / ``\\vbox`` message: how far a box sticks out, and where."""

    box: str  # "hbox" (too wide) or "vbox" (too high)
    points: float
    where: str  # e.g. "in paragraph at lines 10--12", "detected at line 40"

    def __str__(self) -> str:
        return f"Overfull \\{self.box} by {self.points}pt {self.where}"


_OVERFULL = re.compile(r"^Overfull \\([hv]box) \((\d+(?:\.\d+)?)pt too (?:wide|high)\) ?(.*)$")


def overfull_boxes(log: str) -> list[Overfull]:
    """Every overfull box the log reports.

    Example:
        >>> overfull_boxes("Overfull \\\\hbox (23.5pt too wide) detected at line 40\\n[]$x$")
        [Overfull(box='hbox', points=23.5, where='detected at line 40')]
    """
    found = []
    for line in log.splitlines():
        match = _OVERFULL.match(line)
        if match:
            found.append(Overfull(match[1], float(match[2]), match[3].strip()))
    return found


def missing_characters(log: str) -> list[str]:
    """Characters the fonts lack (pdflatex drops them silently, saying so only in the log)."""
    return [line.strip() for line in log.splitlines() if line.startswith("Missing character:")]


def tex_log(pdf: Path) -> str:
    """The log written beside ``pdf`` by ``compile_tex``."""
    return pdf.with_suffix(".log").read_text(encoding="utf-8", errors="replace")


# -- Markdown math ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MathBlock:
    """One piece of math in a Markdown document: its TeX, display or inline, and its first line."""

    tex: str
    display: bool
    line: int  # 1-based line of the opening delimiter


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _blank_fenced_code(markdown: str) -> str:
    """``markdown`` with the lines of fenced code blocks emptied (line numbers kept)."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if fence is None:
            if match and not (match[1][0] == "`" and "`" in match[2]):
                fence = match[1]
                out.append("")
                continue
            out.append(line)
        else:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence) and not match[2].strip():
                fence = None
            out.append("")
    return "\n".join(out)


def _scan(markdown: str) -> tuple[list[MathBlock], list[int]]:
    """Math blocks and the lines of ``$`` that open nothing, scanning left to right like a renderer."""
    text = _blank_fenced_code(markdown)
    blocks: list[MathBlock] = []
    strays: list[int] = []

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    def close(start: int, delimiter: str) -> int:
        """Index of the closing ``delimiter`` for math opened just before ``start``, or -1."""
        j = start
        while j < len(text):
            char = text[j]
            if char == "\\":
                j += 2  # \$ and \\ inside math are TeX, never a delimiter
                continue
            if char == "\n" and re.match(r"\n[ \t]*\n", text[j:]):
                return -1  # a blank line ends the paragraph: the math never closed
            if text.startswith(delimiter, j):
                if delimiter == "$$":
                    return j
                if text.startswith("$$", j):  # "$…$$": not an inline close
                    return -1
                if not text[j - 1].isspace() and not text[j + 1 : j + 2].isdigit():
                    return j
            j += 1
        return -1

    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and text[i + 1 : i + 2] in _PUNCTUATION:
            i += 2  # a backslash escape: \$ is a literal dollar
        elif char == "`":
            run = re.match(r"`+", text[i:])
            assert run is not None
            ticks = run.group()
            closing = re.compile(r"(?<!`)" + ticks + r"(?!`)")
            found = closing.search(text, i + len(ticks))
            i = found.end() if found else i + len(ticks)
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            i = len(text) if end < 0 else end + 3
        elif text.startswith("$$", i):
            end = close(i + 2, "$$")
            if end < 0:
                strays.append(line_of(i))
                i += 2
            else:
                blocks.append(MathBlock(text[i + 2 : end].strip(), True, line_of(i)))
                i = end + 2
        elif char == "$":
            end = close(i + 1, "$") if text[i + 1 : i + 2].strip() else -1
            if end < 0:
                strays.append(line_of(i))
                i += 1
            else:
                blocks.append(MathBlock(text[i + 1 : end], False, line_of(i)))
                i = end + 1
        else:
            i += 1
    return blocks, strays


def math_blocks(markdown: str) -> list[MathBlock]:
    """The math of a Markdown document: ``$$…$$`` display, ``$…$`` inline, in order.

    As Markdown renderers with KaTeX read it (pandoc's ``tex_math_dollars``,
    remark-math, markdown-it-texmath): nothing inside code spans, fenced code
    blocks or HTML comments is math; ``\\$`` is a literal dollar; inline math
    starts with a non-space after ``$`` and ends with a non-space before a ``$``
    that no digit follows, within one paragraph. Indented code blocks are not
    recognised (a ``$`` in one is read as math, so a test fails loudly rather
    than skipping math silently).

    Example:
        >>> text = "Cost \\\\$5, `$x$` is code, $y_{11}$ and\\n$$\\nY = XK\\n$$\\n```\\n$z$\\n```"
        >>> math_blocks(text)
        [MathBlock(tex='y_{11}', display=False, line=1), MathBlock(tex='Y = XK', display=True, line=2)]
    """
    return _scan(markdown)[0]


def stray_dollars(markdown: str) -> list[int]:
    """Lines holding a ``$`` (not ``\\$``, not in code) that opens no math: renderers show it as text.

    Example:
        >>> stray_dollars("$x$ costs $5\\n\\n$$\\na\\n")
        [1, 3]
    """
    return _scan(markdown)[1]


# -- KaTeX --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KatexResult:
    """KaTeX's verdict on one block: rendered or not, its error, its strict-mode warnings."""

    ok: bool
    error: str | None
    warnings: tuple[str, ...]


def katex_render(
    blocks: Iterable[MathBlock | tuple[str, bool] | Mapping[str, object]],
) -> list[KatexResult]:
    """Render every block with KaTeX (``throwOnError: true``) in one node process.

    ``blocks`` are ``MathBlock``s, ``(tex, display)`` pairs or ``{"tex", "display"}``
    mappings; the results come back in the same order. Skips the calling test
    when node or KaTeX is missing.
    """
    node, directory = require_katex()
    payload = []
    for block in blocks:
        if isinstance(block, MathBlock):
            payload.append({"tex": block.tex, "display": block.display})
        elif isinstance(block, tuple):
            payload.append({"tex": block[0], "display": bool(block[1])})
        else:
            payload.append({"tex": str(block["tex"]), "display": bool(block.get("display", False))})
    run = subprocess.run(
        [node, str(KATEX_SCRIPT)], input=json.dumps(payload), capture_output=True, text=True,
        env={**os.environ, KATEX_ENV: str(directory)}, timeout=120, check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"node {KATEX_SCRIPT} failed (exit {run.returncode}):\n{run.stderr}")
    answer = json.loads(run.stdout)
    results = [KatexResult(r["ok"], r["error"], tuple(r["warnings"])) for r in answer["results"]]
    assert len(results) == len(payload), "render.js answered for a different number of blocks"
    return results


def katex_version() -> str:
    """The installed KaTeX's version (skips when it is missing)."""
    _, directory = require_katex()
    package = json.loads((directory / "node_modules" / "katex" / "package.json").read_text(encoding="utf-8"))
    return str(package["version"])


def katex_failures(blocks: list[MathBlock], *, warnings: bool = True) -> list[str]:
    """One readable line per block KaTeX rejects (or, with ``warnings``, warns about); [] when all pass."""
    failures = []
    for block, result in zip(blocks, katex_render(blocks)):
        kind = "display" if block.display else "inline"
        shown = block.tex if len(block.tex) <= 160 else block.tex[:160] + "…"
        if not result.ok:
            failures.append(f"line {block.line} ({kind}): {result.error}\n    {shown}")
        elif warnings and result.warnings:
            failures.append(f"line {block.line} ({kind}): strict-mode warning {'; '.join(result.warnings)}"
                            f"\n    {shown}")
    return failures
