"""Entry-by-entry comparison of two derivations of the same quantity, with a report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symconv.algebra.polynomial import Poly
from symconv.symbolic.tensors import Tensor


@dataclass(frozen=True)
class Mismatch:
    """One entry where two derivations disagree (``index`` is 1-based, like the names)."""

    quantity: str
    index: tuple[int, ...]
    expected: sp.Expr
    got: sp.Expr

    def __str__(self) -> str:
        where = ",".join(str(i) for i in self.index)
        return f"{self.quantity}[{where}]: {self.expected}  ≠  {self.got}"


@dataclass(frozen=True)
class Proof:
    """The outcome of comparing entry by entry: what was checked, and every difference."""

    subject: str
    checked: tuple[tuple[str, int], ...]  # (quantity, number of entries)
    mismatches: tuple[Mismatch, ...]

    @property
    def holds(self) -> bool:
        return not self.mismatches

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        if self.holds:
            width = max(len(q) for q, _ in self.checked)
            lines = [f"proved exactly for {self.subject}:"]
            for q, n in self.checked:
                lines.append(f"  {q:<{width}}  {n} {'entry' if n == 1 else 'entries'} equal")
            return "\n".join(lines)
        lines = [f"NOT proved for {self.subject}: {len(self.mismatches)} entries differ"]
        lines += [f"  {m}" for m in self.mismatches[:10]]
        if len(self.mismatches) > 10:
            lines.append(f"  … and {len(self.mismatches) - 10} more")
        return "\n".join(lines)


def equal(a: sp.Expr | Poly, b: sp.Expr | Poly) -> bool:
    """Exact equality: structurally, else after expanding the difference (Polys: as dicts)."""
    if isinstance(a, Poly) or isinstance(b, Poly):
        return bool(a == b)
    return bool(a == b) or sp.expand(a - b) == 0


def _expr(entry: sp.Expr | Poly) -> sp.Expr:
    """An entry as a SymPy expression, for reports."""
    return entry.to_expr() if isinstance(entry, Poly) else entry


def compare(quantity: str, expected: Tensor, got: Tensor) -> tuple[int, list[Mismatch]]:
    """Compare two tensors entry by entry; a shape difference is one mismatch."""
    if expected.shape != got.shape:
        shape = Mismatch(quantity, (), sp.Symbol(f"shape{expected.shape}"), sp.Symbol(f"shape{got.shape}"))
        return 0, [shape]
    bad = [
        Mismatch(quantity, tuple(i + 1 for i in index), _expr(expected[index]), _expr(got[index]))
        for index in np.ndindex(*expected.shape)
        if not equal(expected[index], got[index])
    ]
    return expected.size, bad


def prove_all(subject: str, pairs: list[tuple[str, Tensor, Tensor]]) -> Proof:
    """A :class:`Proof` over several ``(quantity, expected, got)`` comparisons."""
    checked, mismatches = [], []
    for quantity, expected, got in pairs:
        n, bad = compare(quantity, expected, got)
        checked.append((quantity, n))
        mismatches += bad
    return Proof(subject, tuple(checked), tuple(mismatches))
