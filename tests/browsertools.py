"""Markdown as a reader sees it: a plain page (markdown-it + KaTeX auto-render) in headless Chromium.

The page is what people get when they paste a document into a blog or a wiki
that renders Markdown and then runs KaTeX over the HTML: ``tests/katex/page.js``
builds it with markdown-it (CommonMark) and inlines KaTeX. Chromium (Debian's
``chromium``) renders it; :func:`rendered_dom` returns the DOM after the scripts
ran, :func:`screenshot` a PNG, which :func:`ink_rows` reads without any image
library. Without chromium, node, markdown-it or KaTeX the calling test skips
(and CI, which installs them, fails on a skip).
"""

from __future__ import annotations

import re
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest
from doctools import find_katex, require_tool

HERE = Path(__file__).resolve().parent
PAGE_JS = HERE / "katex" / "page.js"
CHROMIUM_INSTALL = "apt-get install --no-install-recommends chromium"
MARKDOWN_IT_INSTALL = 'npm install --prefix "$SYMCONV_KATEX_DIR" markdown-it@14.1.0'
# As the machines of this project start Chromium as root and offline (no sandbox, no network calls).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=10000",
]
BROWSER_TIMEOUT = 120  # seconds


def markdown_page(markdown: str, workdir: Path) -> Path:
    """The HTML page a plain Markdown site makes of ``markdown`` (markdown-it, then KaTeX auto-render)."""
    node = require_tool("node", "apt-get install nodejs npm")
    katex = find_katex()
    if katex is None or not (katex / "node_modules" / "markdown-it").is_dir():
        pytest.skip(f"KaTeX or markdown-it not installed; install them: {MARKDOWN_IT_INSTALL} katex")
    workdir.mkdir(parents=True, exist_ok=True)
    source, page = workdir / "page.md", workdir / "page.html"
    source.write_text(markdown, encoding="utf-8")
    subprocess.run([node, str(PAGE_JS), str(katex / "node_modules"), str(source), str(page)], check=True,
                   timeout=BROWSER_TIMEOUT)
    return page


def run_chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chromium = require_tool("chromium", CHROMIUM_INSTALL)
    with tempfile.TemporaryDirectory(prefix="symconv-chromium-") as profile:
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
            capture_output=True, text=True, errors="replace", timeout=BROWSER_TIMEOUT, check=False,
        )


def rendered_dom(page: Path) -> str:
    """The page's DOM once its scripts ran (``--dump-dom``); fails if KaTeX's script did not finish."""
    run = run_chromium(page, "--dump-dom")
    assert 'data-rendered="yes"' in run.stdout, f"the page did not finish rendering:\n{run.stderr[-2000:]}"
    return run.stdout


def screenshot(page: Path, out: Path, width: int = 900, height: int = 600) -> Path:
    """A PNG of the top ``width`` × ``height`` pixels of the rendered page."""
    run_chromium(page, f"--screenshot={out}", f"--window-size={width},{height}")
    assert out.is_file(), f"chromium wrote no screenshot of {page}"
    return out


def ink_rows(
    png: Path, threshold: int = 160, columns: tuple[float, float] | None = None
) -> list[tuple[int, int]]:
    """The bands of pixel rows holding ink (a pixel darker than ``threshold``): ``(first, last)``.

    ``columns`` (fractions of the inked width, e.g. ``(0.45, 0.85)``) looks only
    at that part of the ink's horizontal extent.
    """
    width, height, gray = _decode_png(png.read_bytes())
    left, right = 0, width
    if columns is not None:
        inked_x = [x for x in range(width) if any(gray[y * width + x] < threshold for y in range(height))]
        span = inked_x[-1] - inked_x[0]
        left, right = inked_x[0] + round(span * columns[0]), inked_x[0] + round(span * columns[1])
    inked = [any(value < threshold for value in gray[y * width + left : y * width + right])
             for y in range(height)]
    bands: list[tuple[int, int]] = []
    for y, ink in enumerate(inked):
        if ink and bands and bands[-1][1] == y - 1:
            bands[-1] = (bands[-1][0], y)
        elif ink:
            bands.append((y, y))
    return bands


def _decode_png(data: bytes) -> tuple[int, int, list[int]]:
    """Width, height and gray levels of an 8-bit RGB or RGBA PNG (as Chromium writes screenshots)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks = 8, []
    width = height = channels = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), f"unexpected PNG: depth {depth}, colour type {color}"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):  # undo the PNG row filter (None, Sub, Up, Average, Paeth)
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    gray = [sum(row[x * channels : x * channels + 3]) // 3 for row in rows for x in range(width)]
    return width, height, gray


def math_elements(dom: str) -> list[tuple[str, str]]:
    """``(TeX source, MathML)`` of every formula KaTeX typeset in the page (from its annotations)."""
    found = []
    for match in re.finditer(r"<math[^>]*>(.*?)</math>", dom, re.S):
        source = re.search(r'<annotation encoding="application/x-tex">(.*?)</annotation>', match[1], re.S)
        found.append((_unescape(source[1]) if source else "", match[1]))
    return found


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
