"""Make ``docs/derive-example.png``: the note's example as symconv derives it and pdflatex typesets it.

Runs ``symconv derive --input 3 --kernel 2 --backward --format tex``, compiles
the document with ``pdflatex`` and turns part of a page into a PNG with
``pdftoppm``: by default the page of the input gradient's derivation that holds
its step to zero insertion (the Kronecker sums, zero insertion, the dilated and
flipped kernel, the full padding: numbered steps), found by its text with
``pdftotext``, so the picture follows the derivation when pages shift. Needs
pdflatex (Debian's ``texlive-latex-base``) and pdftoppm/pdftotext
(``poppler-utils``)::

    python docs/make_example_png.py                      # rewrites docs/derive-example.png
    python docs/make_example_png.py --out /tmp/page.png  # somewhere else
    python docs/make_example_png.py --page 1             # another page

The same symconv, TeX and poppler give a byte-identical PNG.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMAND = ["derive", "--input", "3", "--kernel", "2", "--backward", "--format", "tex"]
DEFAULT_OUT = HERE / "derive-example.png"
ANCHOR = "The divisibility bracket is the stride"  # the picture is the page that holds this sentence
RESOLUTION = 110  # dots per inch: about 770 px wide for the A4 text block, readable on a README
MARGIN_PX = 16  # white border kept around the text
INK = 245  # a gray level below this (of 255) is ink, not paper

Words = list[tuple[float, float, str]]  # (top, bottom, text) in PDF points, in reading order


def fail(message: str) -> None:
    sys.exit(f"make_example_png: {message}")


def tool(name: str) -> str:
    """The path of ``name``, or exit saying which Debian package has it."""
    path = shutil.which(name)
    if path is None:
        package = "texlive-latex-base" if name == "pdflatex" else "poppler-utils"
        fail(f"{name} not found; install it: apt-get install --no-install-recommends {package}")
    return str(path)


def run(command: list[str], cwd: Path) -> str:
    """Run ``command`` and return its output; on failure exit with it (for TeX, the log's errors)."""
    result = subprocess.run(
        command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
        env={**os.environ, "max_print_line": "10000", "SOURCE_DATE_EPOCH": "0"}, check=False,
    )
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if line.startswith(("!", "l."))]
        detail = "\n".join(errors) or (result.stdout + result.stderr)[-3000:]
        fail(f"{' '.join(command)} failed (exit {result.returncode}):\n{detail}")
    return result.stdout


def page_words(pdf: Path, work: Path) -> list[Words]:
    """The words of every page with their vertical extent (``pdftotext -bbox``)."""
    xhtml = run([tool("pdftotext"), "-bbox", pdf.name, "-"], work)
    word = re.compile(r'<word xMin="[^"]*" yMin="([^"]*)" xMax="[^"]*" yMax="([^"]*)">([^<]*)</word>')
    return [
        [(float(top), float(bottom), html.unescape(text)) for top, bottom, text in word.findall(page)]
        for page in xhtml.split("<page ")[1:]
    ]


def find(words: Words, phrase: str, start: int = 0) -> int | None:
    """Index of the first word of ``phrase`` (consecutive words, end punctuation aside) from ``start``."""
    wanted = [word.rstrip(":.,;") for word in phrase.split()]
    texts = [text.rstrip(":.,;") for _, _, text in words]
    for i in range(start, len(texts) - len(wanted) + 1):
        if texts[i : i + len(wanted)] == wanted:
            return i
    return None


def anchor_page(pages: list[Words], phrase: str) -> tuple[int, float, float]:
    """``(page, top, bottom)`` in points: the text of the page with ``phrase``, its page number left out."""
    for number, words in enumerate(pages, start=1):
        if find(words, phrase) is None:
            continue
        body = words[:-1] if words[-1][2].isdigit() else words
        return number, min(t for t, _, _ in body) - 4, max(b for _, b, _ in body) + 4
    fail(f"no page of the derived document has the sentence {phrase!r}")
    raise AssertionError  # unreachable: fail() exits


def ink_box(pgm: Path, rows: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of the ink of a binary 8-bit PGM image, within ``rows`` if given."""
    data = pgm.read_bytes()
    fields: list[bytes] = []
    position = 0
    while len(fields) < 4:  # magic, width, height, maximum; '#' starts a comment
        while data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":
            position = data.index(b"\n", position)
            continue
        end = position
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    if fields[0] != b"P5" or fields[3] != b"255":
        fail(f"{pgm} is not an 8-bit binary PGM")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[position + 1 : position + 1 + width * height]
    low, high = (max(rows[0], 0), min(rows[1], height)) if rows else (0, height)
    inked = [r for r in range(low, high) if min(pixels[r * width : (r + 1) * width]) < INK]
    if not inked:
        fail(f"nothing is printed in rows {low}..{high} of {pgm}")
    band = pixels[inked[0] * width : (inked[-1] + 1) * width]
    columns = [c for c in range(width) if min(band[c::width]) < INK]
    left, top = max(columns[0] - MARGIN_PX, 0), max(inked[0] - MARGIN_PX, 0)
    right, bottom = min(columns[-1] + 1 + MARGIN_PX, width), min(inked[-1] + 1 + MARGIN_PX, height)
    return left, top, right - left, bottom - top


def make_png(out: Path, page: int | None = None, resolution: int = RESOLUTION) -> Path:
    """Derive and compile the note's example; write the derivation's page (or ``page``) to ``out``."""
    pdflatex, pdftoppm = tool("pdflatex"), tool("pdftoppm")
    with tempfile.TemporaryDirectory(prefix="symconv-png-") as scratch:
        work = Path(scratch)
        run([sys.executable, "-m", "symconv", *COMMAND, "--out", "example.tex"], work)
        run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "example.tex"], work)
        pdf = work / "example.pdf"
        rows: tuple[int, int] | None = None
        if page is None:
            page, top, bottom = anchor_page(page_words(pdf, work), ANCHOR)
            rows = (round(top * resolution / 72), round(bottom * resolution / 72))
        one_page = ["-f", str(page), "-l", str(page), "-r", str(resolution), "-singlefile"]
        run([pdftoppm, "-gray", *one_page, pdf.name, "page"], work)
        x, y, width, height = ink_box(work / "page.pgm", rows)
        crop = ["-x", str(x), "-y", str(y), "-W", str(width), "-H", str(height)]
        run([pdftoppm, "-png", *one_page, *crop, pdf.name, "cropped"], work)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "cropped.png", out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the PNG (default: {DEFAULT_OUT})")
    parser.add_argument("--page", type=int, help=f"another page than the one with {ANCHOR!r}")
    parser.add_argument("--resolution", type=int, default=RESOLUTION, help=f"dots per inch ({RESOLUTION})")
    args = parser.parse_args(argv)
    out = make_png(args.out, page=args.page, resolution=args.resolution)
    shown = f"page {args.page}" if args.page else f"the page with {ANCHOR!r}"
    print(f"wrote {out}: symconv {' '.join(COMMAND)}, {shown}, {args.resolution} dpi")
    return 0


if __name__ == "__main__":
    sys.exit(main())
