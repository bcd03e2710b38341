"""The verdict of a check: the result object, its counterexamples, its JSON form and its text report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Domain:
    """What was checked: free variables with their ranges and fixed ones (scalars), or specs (tensors)."""

    free: tuple[tuple[str, int, int], ...] = ()  # variable as spelled, low, high
    fixed: tuple[tuple[str, int | str], ...] = ()  # a str: one value per dimension, 7x9
    tied: tuple[tuple[str, str], ...] = ()  # variable, the variable it equals
    points: int = 0  # valid points (scalars) or specs (tensors) checked
    condition: str = ""  # which points are valid
    where: str = ""  # the constraints the points meet (--where)
    specs: tuple[str, ...] = ()  # tensors: each spec checked, as CLI options

    def ranges(self) -> str:
        """The free variables' ranges: ``n = 1…32, s = 1…3`` (what an unproved verdict covers), and the
        constraints the points meet."""
        text = ", ".join(f"{v} = {lo}…{hi}" for v, lo, hi in self.free)
        return text + (f" with {self.where}" if self.where else "")

    def describe(self) -> str:
        """One line: ``k = 1…6, r = 1…5 (30 points)`` or ``3 specs: …``."""
        if self.specs:
            if len(self.specs) == 1:
                return f"the spec {self.specs[0] or '(defaults)'}"
            listing = "".join(f"\n  {s or '(defaults)'}" for s in self.specs)
            return f"{len(self.specs)} specs, smallest first:{listing}"
        parts = [f"{v} = {lo}…{hi}" for v, lo, hi in self.free]
        parts += [f"{v} = {value}" for v, value in self.fixed]
        parts += [f"{v} = {other}" for v, other in self.tied]
        text = ", ".join(parts) + (f" with {self.where}" if self.where else "")
        point = "point" if self.points == 1 else "points"
        where = "" if self.condition in ("", "all") else f" where {self.condition}"
        return f"{text} ({self.points} {point}{where})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"points": self.points}
        if self.specs:
            out["specs"] = list(self.specs)
        else:
            out["free"] = {v: [lo, hi] for v, lo, hi in self.free}
            out["fixed"] = {v: _per_dimension(x) for v, x in self.fixed}
            out["tied"] = dict(self.tied)
            out["condition"] = self.condition
            out["where"] = self.where
        return out


@dataclass(frozen=True)
class ScalarCounterexample:
    """A point where a scalar formula is wrong: the values, what it claims, and the truth."""

    values: tuple[tuple[str, int], ...]  # the free variables as the formula spells them
    claimed: str  # a number, a tuple, or "undefined (…)"
    true: str

    def where(self) -> str:
        return ", ".join(f"{v} = {x}" for v, x in self.values) or "the fixed values"

    def __str__(self) -> str:
        return f"{self.where()}: claimed {self.claimed}, true {self.true}"

    def to_dict(self) -> dict[str, Any]:
        return {"values": dict(self.values), "claimed": self.claimed, "true": self.true}


@dataclass(frozen=True)
class EntryDifference:
    """One entry where a tensor formula differs from the derivation (1-based index, LaTeX)."""

    index: tuple[int, ...]
    claimed: str
    true: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": list(self.index), "claimed": self.claimed, "true": self.true}


@dataclass(frozen=True)
class TensorCounterexample:
    """A spec where a tensor formula is wrong: shapes that differ, entries that differ, or no value."""

    spec: str  # ConvSpec.describe()
    options: str  # the SPEC options that rebuild it
    kind: str  # "shape", "entries" or "undefined"
    layout: str  # axis names of the quantity, e.g. "C_in × H × W"
    claimed_shape: tuple[int, ...] | None
    true_shape: tuple[int, ...]
    entries: tuple[EntryDifference, ...] = ()
    differing: int = 0
    total: int = 0
    reason: str = ""
    correct: str = ""  # the closed form for this spec, in the operator language

    def summary(self) -> str:
        """One line: what is wrong."""
        if self.kind == "shape":
            return (f"shapes differ: the formula gives {_shape(self.claimed_shape)}, "
                    f"the derivation {_shape(self.true_shape)} ({self.layout})")
        if self.kind == "undefined":
            return f"the formula cannot be evaluated: {self.reason}"
        return f"{self.differing} of {self.total} entries differ"

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "options": self.options,
            "kind": self.kind,
            "layout": self.layout,
            "claimed_shape": None if self.claimed_shape is None else list(self.claimed_shape),
            "true_shape": list(self.true_shape),
            "entries": [e.to_dict() for e in self.entries],
            "differing": self.differing,
            "total": self.total,
            "reason": self.reason,
            "correct": self.correct,
        }


def _per_dimension(value: int | str) -> int | str | list[int]:
    """A fixed value for JSON: one number, a list per dimension (``7x9`` → [7, 9]), or a description."""
    if isinstance(value, str) and all(part.isdigit() for part in value.split("x")):
        return [int(part) for part in value.split("x")]
    return value


def _shape(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "×".join(str(n) for n in shape) if shape else "a scalar"


Counterexample = ScalarCounterexample | TensorCounterexample


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on one formula.

    ``holds`` is the verdict; ``method`` says how it was reached (``symbolic``,
    ``exhaustive``, ``exact`` or ``sweep``); ``domain`` what was checked;
    ``counterexample`` the smallest one found (None when the formula holds),
    ``more`` the next few and ``failures`` how many points or specs failed;
    ``correct_formula`` the right formula (for a tensor refutation: the closed
    form for the counterexample's spec).
    """

    quantity: str
    formula: str
    syntax: str
    holds: bool
    method: str
    domain: Domain
    truth: str  # how the truth was obtained
    correct_formula: str
    correct_latex: str = ""
    counterexample: Counterexample | None = None
    more: tuple[Counterexample, ...] = ()
    failures: int = 0
    order: str = ""  # how counterexamples are ordered
    proof: str = ""  # what a symbolic proof showed
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "refuted"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``symconv verify --format json``)."""
        return {
            "quantity": self.quantity,
            "formula": self.formula,
            "syntax": self.syntax,
            "holds": self.holds,
            "verdict": self.verdict,
            "method": self.method,
            "domain": self.domain.to_dict(),
            "truth": self.truth,
            "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
            "more_counterexamples": [c.to_dict() for c in self.more],
            "failures": self.failures,
            "order": self.order,
            "correct_formula": self.correct_formula,
            "correct_latex": self.correct_latex,
            "proof": self.proof,
            "notes": list(self.notes),
        }

    def held(self) -> str:
        """What a verdict that holds rests on, in words after "holds": proved, or checked on what."""
        if self.method == "symbolic":
            return ", proved symbolically"
        if self.method == "exhaustive":
            return f" on {self.domain.ranges()} (checked exhaustively, not proved)"
        if self.method == "exact":
            if not self.domain.specs and self.domain.points > 1:  # a point per dimension
                return f" for the {self.domain.points} points given, one per dimension (evaluated exactly)"
            one = "spec" if self.domain.specs else "point"
            return f" for the one {one} given (evaluated exactly)"
        return f" on every spec of a sweep of {self.domain.points} (checked exactly, not proved)"

    def short(self) -> str:
        """The verdict and its main reason on one line (the claims table)."""
        c = self.counterexample
        if self.holds:
            return f"holds{self.held()}"
        if isinstance(c, ScalarCounterexample):
            return f"refuted: {c}"
        assert isinstance(c, TensorCounterexample)
        if self.domain.points == 1:
            return f"refuted: {c.summary()}"
        return f"refuted: {c.summary()} for {c.options or 'the defaults'}"

    def report(self) -> str:
        """The text report: the claim, the verdict and why, the correct formula, the domain."""
        lines = [f"{self.quantity} = {self.formula}   ({self.syntax} syntax)"]
        c = self.counterexample
        if self.holds:
            lines.append(f"HOLDS{self.held()}" + (f": {self.proof}" if self.proof else ""))
        elif isinstance(c, ScalarCounterexample):
            lines.append(f"REFUTED at {c.where()}: the formula gives {c.claimed}, the truth is {c.true}")
            if self.order:
                points = "point" if self.failures == 1 else "points"
                tail = f"the smallest of {self.failures} failing {points}, ordered by {self.order}"
                if self.more:
                    tail += "; next: " + "; ".join(str(m) for m in self.more)
                lines.append(f"  ({tail})")
        else:
            assert isinstance(c, TensorCounterexample)
            lines.append(f"REFUTED for {c.spec}: {c.summary()}")
            for e in c.entries:
                where = ",".join(str(i) for i in e.index)
                lines.append(f"  [{where}]  formula: {e.claimed}")
                lines.append(f"  {' ' * (len(where) + 2)}  truth:   {e.true}")
            if c.differing > len(c.entries):
                lines.append(f"  … and {c.differing - len(c.entries)} more")
            if self.failures > 1:
                lines.append(f"  (the first of {self.failures} failing specs, ordered by {self.order})")
        if not self.holds:
            tensor = isinstance(c, TensorCounterexample)
            label = "correct closed form for this spec" if tensor else "correct formula"
            lines.append(f"{label}: {self.correct_formula}")
            if isinstance(c, TensorCounterexample) and c.options:
                lines.append(f"reproduce with: {c.options}")
        lines.append(f"domain: {self.domain.describe()}")
        lines.append(f"truth: {self.truth}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.report()
