"""Make ``docs/figures/``: every kind of figure for the note's example and for a dilated kernel, and
the sliding windows of a strided layer (forward, and the input gradient's zero-inserted slide).

Runs ``symconv.figures.figure`` for each kind and writes ``<example>-<kind>.svg``
(``-sliding-backward.svg``: the input gradient's slide);
the README's gallery shows them and ``tests/test_figures.py`` fails when one is
out of date::

    python docs/make_figures.py           # rewrites docs/figures/
    python docs/make_figures.py --check   # exit 1 when a file differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symconv import ConvSpec
from symconv.figures import KINDS, figure

HERE = Path(__file__).resolve().parent / "figures"

EVERY = [(kind, False) for kind in KINDS] + [("sliding", True)]  # (kind, backward)

# name → (the layer, as the README's commands give it), the figures drawn
EXAMPLES = {
    "note": (ConvSpec(input_size=3, kernel_size=2), EVERY),  # --input 3 --kernel 2
    # --input 7 --kernel 3 --dilation 2
    "dilated": (ConvSpec(input_size=7, kernel_size=3, dilation=2), EVERY),
    # --input 5 --kernel 3 --stride 2 --padding 1
    "strided": (ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1),
                [("sliding", False), ("sliding", True)]),
}


def figures() -> dict[Path, str]:
    """Every file of the gallery and its text."""
    return {HERE / f"{name}-{kind}{'-backward' if backward else ''}.svg":
            figure(spec, kind, backward=backward).svg()
            for name, (spec, views) in EXAMPLES.items() for kind, backward in views}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    args = parser.parse_args(argv)
    stale = [path for path, text in figures().items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(HERE.parent.parent)}")
        return 1 if stale else 0
    HERE.mkdir(parents=True, exist_ok=True)
    for path, text in figures().items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(figures())} figures to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
