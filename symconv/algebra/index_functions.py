r"""The functions index formulas are written with beyond arithmetic: Iverson brackets and the group maps.

The brackets evaluate to 1 or 0 as soon as their arguments are integers, so an
index formula substitutes and evaluates (``.doit()``) like any SymPy
expression, and prints with ``sp.latex``:

- :class:`InRange` ``[lo ≤ e ≤ hi]``: an index inside a tensor (the zero padding);
- :class:`Divides` ``[s | a]``: an index the stride reaches;
- :class:`Same` ``[a = b]``: the Kronecker delta of two indices, written as a
  bracket (δ names the upstream gradient here).

The group maps name, in a formula with symbolic sizes, the channels a group
ties together; each has its :meth:`~GroupMap.definition` in floors, which it
becomes once its arguments are integers:

- :class:`FirstInput` ``c₀(o) = ⌊o/(C_out/G)⌋ · C_in/G``: the first input channel
  output channel ``o`` reads;
- :class:`FirstOutput` ``o₀(c) = ⌊c/(C_in/G)⌋ · C_out/G``: the first output
  channel reading input channel ``c``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symconv import sizes

__all__ = ["Divides", "FirstInput", "FirstOutput", "GroupMap", "InRange", "Same"]


# -- Iverson brackets -----------------------------------------------------------------------------


class InRange(sp.Function):  # type: ignore[misc]
    """The Iverson bracket ``[lo ≤ e ≤ hi]``: 1 or 0 once ``e``, ``lo``, ``hi`` are integers.

    Example:
        >>> e = sp.Symbol("e", integer=True)
        >>> InRange(e, 0, 4).subs(e, 3), InRange(e, 0, 4).subs(e, 5)
        (1, 0)
        >>> sp.latex(InRange(e, 0, sp.Symbol("n") - 1))
        '\\\\left[0 \\\\le e \\\\le n - 1\\\\right]'
    """

    nargs = 3
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, e: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
        if e.is_Rational and lo.is_Rational and hi.is_Rational:
            return sp.S.One if lo <= e <= hi else sp.S.Zero
        return None

    def _latex(self, printer: Any) -> str:
        e, lo, hi = (printer._print(a) for a in self.args)
        return rf"\left[{lo} \le {e} \le {hi}\right]"


class Divides(sp.Function):  # type: ignore[misc]
    """The Iverson bracket ``[s | a]`` (``s`` divides ``a``): 1 or 0 once both are integers.

    ``[1 | a]`` is 1 for any integer ``a``, so a stride of 1 drops it.

    Example:
        >>> a = sp.Symbol("a", integer=True)
        >>> Divides(2, a).subs(a, 4), Divides(2, a).subs(a, 5), Divides(1, a)
        (1, 0, 1)
        >>> sp.latex(Divides(sp.Symbol("s"), a))
        '\\\\left[s \\\\mid a\\\\right]'
    """

    nargs = 2
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, s: sp.Expr, a: sp.Expr) -> sp.Expr | None:
        if s == 1 and a.is_integer:
            return sp.S.One
        if s.is_Integer and a.is_Integer:
            return sp.S.One if int(a) % int(s) == 0 else sp.S.Zero
        return None

    def _latex(self, printer: Any) -> str:
        s, a = (printer._print(v) for v in self.args)
        return rf"\left[{s} \mid {a}\right]"



class Same(sp.Function):  # type: ignore[misc]
    """The Iverson bracket ``[a = b]`` (a Kronecker delta): 1 or 0 once both are integers.

    Example:
        >>> a = sp.Symbol("a", integer=True)
        >>> Same(a, 2).subs(a, 2), Same(a, 2).subs(a, 3)
        (1, 0)
        >>> sp.latex(Same(a, sp.Symbol("j")))
        '\\\\left[a = j\\\\right]'
    """

    nargs = 2
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
        if a.is_Rational and b.is_Rational:
            return sp.S.One if a == b else sp.S.Zero
        return None

    def _latex(self, printer: Any) -> str:
        a, b = (printer._print(v) for v in self.args)
        return rf"\left[{a} = {b}\right]"


BRACKETS = (InRange, Divides, Same)
"""The Iverson brackets: factors that guard the entries they multiply."""


# -- the group maps ---------------------------------------------------------------------------------


class GroupMap(sp.Function):  # type: ignore[misc]
    """A channel of a group, named: ``(channel, C_in/G, C_out/G)`` → a channel; its floors once integers."""

    nargs = 3
    is_integer = True
    is_nonnegative = True
    letter = ""

    @classmethod
    def eval(cls, channel: sp.Expr, group_in: sp.Expr, group_out: sp.Expr) -> sp.Expr | None:
        if channel.is_Integer and group_in.is_Integer and group_out.is_Integer:
            return sp.Integer(cls.rule(int(channel), int(group_in), int(group_out)))
        return None

    @staticmethod
    def rule(channel: Any, group_in: Any, group_out: Any) -> Any:
        raise NotImplementedError

    def definition(self) -> sp.Expr:
        """The map in floors of its (symbolic) arguments."""
        return sp.sympify(self.rule(*self.args))

    def _latex(self, printer: Any) -> str:
        return rf"{self.letter}({printer._print(self.args[0])})"


class FirstInput(GroupMap):
    """``c₀(o)``: the first input channel output channel ``o`` reads, ``⌊o/(C_out/G)⌋ · C_in/G``.

    Example:
        >>> FirstInput(5, 2, 3)
        2
        >>> sp.latex(FirstInput(sp.Symbol("o"), 2, 3))
        'c_{0}(o)'
    """

    letter = "c_{0}"

    @staticmethod
    def rule(channel: Any, group_in: Any, group_out: Any) -> Any:
        return sizes.first_input_channel(channel, group_in, group_out)


class FirstOutput(GroupMap):
    """``o₀(c)``: the first output channel that reads input channel ``c``, ``⌊c/(C_in/G)⌋ · C_out/G``.

    Example:
        >>> FirstOutput(3, 2, 3)
        3
    """

    letter = "o_{0}"

    @staticmethod
    def rule(channel: Any, group_in: Any, group_out: Any) -> Any:
        return sizes.first_output_channel(channel, group_in, group_out)
