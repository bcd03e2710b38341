r"""Plain text for the terminal: the note's expressions as ``symconv derive --format text`` shows them.

:class:`PlainTextPrinter` subclasses SymPy's StrPrinter and changes only what
the text format writes differently:

- symbols keep their names (``x_{11}``), a Greek base as its letter (``δ_{1,11}``),
  as the LaTeX names do; products are written data-first, side by side
  (``x_{11} k_{11}``), as the documents write them;
- a sum's terms come in the order the note prints them (:func:`ordered_terms`:
  products first, a lone bias, then numbers, last), so that the text shows the
  same terms in the same places as the LaTeX of the same expression;
- ``σ(z)``'s derivative prints as ``σ'(z_{11})``;
- the algebra's operators print as ``rot180(W)``, ``pad_{k' - 1}(delta)``,
  ``dil_{s}(A)``, ``crop_{p}(A)``, ``A ⊛ B`` (the convolution, ``⊛_{s,d}`` with
  a stride or dilation) and ``A ⊙ B``; tensors under the ``tensor_names``
  setting, with their channel subscripts when ``channels`` is set, as
  :class:`~symconv.printing.note_latex.NotePrinter` does.

:func:`plain_math` turns the small inline LaTeX of the phrase book (``$\delta^{l}$``,
``$\lfloor u/d \rfloor$``) into the same plain text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

import sympy as sp
from sympy.printing.str import StrPrinter

from symconv.algebra.operators import Conv, Crop, Dilate, Hadamard, Pad, Rot180, SumPositions, TensorSymbol
from symconv.printing.note_latex import (
    GREEK,
    channel_subscripts,
    conv_amounts,
    ordered_product,
    ordered_terms,
    sigma_prime_at,
    sums_over_group,
)

_NAME = re.compile(r"([A-Za-z]+)((?:[_^]\{.*\})*)")

# Operators written between their operands; an operand that is one of these is parenthesised.
_INFIX = (Conv, Hadamard, sp.Add)


class PlainTextPrinter(StrPrinter):  # type: ignore[misc]
    """SymPy's string printer in the text format's notation (see the module docstring)."""

    printmethod = "_plain_text"
    _default_settings: ClassVar[dict[str, Any]] = {
        **StrPrinter._default_settings,
        "order": "none",
        "tensor_names": {"x": "X", "W": "K", "b": "b", "delta": "δ"},
        "channels": False,
    }

    def _operand(self, expr: sp.Basic) -> str:
        text = str(self._print(expr))
        return f"({text})" if isinstance(expr, _INFIX) else text

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        """Names as the documents show them: ``x_{11}``, a Greek base as its letter (``δ_{11}``)."""
        name = str(expr.name)
        if "\\" in name:
            return plain_math(name)
        match = _NAME.fullmatch(name)
        if match is not None and match[1] in GREEK:
            return plain_math(GREEK[match[1]]) + match[2]
        return name

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        """The terms in the note's order: ``x_{11} k_{11} + … + b``."""
        return str(super()._print_Add(sp.Add(*ordered_terms(expr), evaluate=False), order="none"))

    def _print_Mul(self, expr: sp.Mul) -> str:
        """Products data-first, side by side as the documents write them: ``x_{11} k_{11}``."""
        product = ordered_product(expr)
        if product is None:
            return str(super()._print_Mul(expr))  # fractions and the like: SymPy's layout
        coeff, factors = product
        parts = [self._operand(f) if isinstance(f, sp.Add) else str(self._print(f)) for f in factors]
        body = " ".join(parts)
        size = abs(coeff)
        number = "" if size == 1 else f"{size} "
        return ("-" if coeff < 0 else "") + number + body

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        at = sigma_prime_at(expr)
        return str(super()._print_Derivative(expr)) if at is None else f"σ'({self._print(at)})"

    def _print_Subs(self, expr: sp.Subs) -> str:
        at = sigma_prime_at(expr)
        return str(super()._print_Subs(expr)) if at is None else f"σ'({self._print(at)})"

    def _print_TensorSymbol(self, expr: TensorSymbol) -> str:
        name = str(self._settings["tensor_names"].get(expr.name, expr.name))
        name = plain_math(name) if "\\" in name else name
        subscripts = channel_subscripts(self._settings["channels"])
        return f"{name}_{{{plain_math(subscripts[expr.role])}}}" if subscripts else name

    def _amounts(self, before: sp.Basic, after: sp.Basic) -> str:
        return str(self._print(before)) if before == after else f"{self._print(before)},{self._print(after)}"

    def _print_floor(self, expr: sp.floor) -> str:
        return f"⌊{self._print(expr.args[0])}⌋"

    def _print_Rot180(self, expr: Rot180) -> str:
        return f"rot180({self._print(expr.args[0])})"

    def _print_Hadamard(self, expr: Hadamard) -> str:
        return f"{self._operand(expr.args[0])} ⊙ {self._operand(expr.args[1])}"

    def _print_Conv(self, expr: Conv) -> str:
        a, b, stride, dilation = expr.args
        text = f"{self._operand(a)} ⊛{conv_amounts(self, stride, dilation)} {self._operand(b)}"
        if self._settings["channels"] and sums_over_group(a, b):
            over = (channel_subscripts(self._settings["channels"]) or {}).get("sum", r"o \in G(c)")
            return f"Σ_{{{plain_math(over)}}} ({text})"
        return text

    def _print_Pad(self, expr: Pad) -> str:
        return f"pad_{{{self._amounts(*expr.args[1:])}}}({self._print(expr.args[0])})"

    def _print_Dilate(self, expr: Dilate) -> str:
        return f"dil_{{{self._print(expr.args[1])}}}({self._print(expr.args[0])})"

    def _print_Crop(self, expr: Crop) -> str:
        return f"crop_{{{self._amounts(*expr.args[1:])}}}({self._print(expr.args[0])})"

    def _print_SumPositions(self, expr: SumPositions) -> str:
        return f"sum_{{i}} ({self._print(expr.args[0])})_{{i}}"


_PRINTER = PlainTextPrinter()


def plain_text(expr: Any, **settings: Any) -> str:
    """``expr`` as the text format prints it (``settings`` as PlainTextPrinter's).

    Example:
        >>> x, k, b = sp.symbols("x_{11} k_{11} b")
        >>> plain_text(b + k * x)
        'x_{11} k_{11} + b'
        >>> W, z = sp.symbols("W^{l+1} z")
        >>> plain_text(Hadamard(Conv(Dilate(sp.Symbol("delta"), 2), Rot180(W), 1, 1), z))
        '(dil_{2}(δ) ⊛ rot180(W^{l+1})) ⊙ z'
    """
    printer = PlainTextPrinter(settings) if settings else _PRINTER
    return str(printer.doprint(expr))


# -- the phrase book's inline LaTeX ------------------------------------------------------------

_COMMANDS = {
    "beta": "β", "delta": "δ", "varepsilon": "ε", "epsilon": "ε", "sigma": "σ", "partial": "∂", "ast": "⊛",
    "odot": "⊙", "times": "×", "cdot": "·", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "neq": "≠",
    "in": "∈", "lfloor": "⌊", "rfloor": "⌋", "lVert": "‖", "rVert": "‖", "bmod": "mod", "sum": "Σ",
    "colon": ":", "quad": "  ", "qquad": "    ", ",": "", ";": " ", " ": " ", "!": "",
    "left": "", "right": "", "bigl": "", "bigr": "", "{": "{", "}": "}",
    "le": "≤", "mid": "|", "Delta": "Δ", "to": "→", "dots": "…", "ldots": "…",
}
_ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "check": "\u030c"}
_WRAPPERS = ("mathrm", "text", "operatorname", "mathbf", "mathsf")
_FRAC = re.compile(r"\\frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_ACCENT = re.compile(r"\\(hat|tilde|check)\{(\w|\\[A-Za-z]+)\}")
_WRAPPER = re.compile(r"\\(?:" + "|".join(_WRAPPERS) + r")\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _fraction(match: re.Match[str]) -> str:
    top, bottom = (f"({part})" if re.search(r"[+-]", part) else part for part in match.groups())
    return f"{top}/{bottom}"


def plain_math(tex: str) -> str:
    r"""Inline LaTeX of the phrase book and of fixed notation as plain text.

    Example:
        >>> plain_math(r"\delta^{l} = \delta^{l+1} \ast \mathrm{rot}_{180}(W^{l+1}) \odot \sigma'(z^{l})")
        "δ^{l} = δ^{l+1} ⊛ rot_{180}(W^{l+1}) ⊙ σ'(z^{l})"
        >>> plain_math(r"\left\lfloor \frac{3 + 2 \cdot 0 - 1}{1} \right\rfloor + 1")
        '⌊(3 + 2 · 0 - 1)/1⌋ + 1'
        >>> plain_math(r"\hat{Y} = \frac{\partial J}{\partial x}")
        'Ŷ = ∂J/∂x'
        >>> plain_math(r"\hat{X}^{\mathsf{T}} \hat{\delta}")
        'X̂ᵀ δ̂'
    """
    text = tex.replace(r"^{\mathsf{T}}", "ᵀ").replace(r" \, ", " ")
    text = _WRAPPER.sub(lambda m: m[1], text)
    text = _ACCENT.sub(lambda m: _COMMANDS.get(m[2][1:], m[2]) + _ACCENTS[m[1]], text)
    while _FRAC.search(text):
        text = _FRAC.sub(_fraction, text)
    text = _COMMAND.sub(lambda m: _COMMANDS.get(m[1], m[1]), text)
    text = re.sub(r"(∂) (\w)", r"\1\2", text)
    return unicodedata.normalize("NFC", re.sub(r"(⌊) | (⌋)", r"\1\2", text).strip())
