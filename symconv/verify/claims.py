"""A claims file: many claims in TOML, checked in one run, reported as a table.

The file holds a list of ``[[claim]]`` tables, each with ``quantity``,
``formula``, an optional ``spec`` (SPEC options without the dashes: ``input``,
``kernel``, ``stride``, ``padding``, ``dilation``, ``in-channels``,
``out-channels``, ``groups``, ``depthwise``, ``dims``, ``no-bias``, and for the
scalar quantities ``output-padding`` and ``layers``), an optional ``name`` and,
for a scalar quantity, an optional ``domain`` (``"n=1..64,s=1..4"``) and
``where`` (constraints: ``"k odd, p = floor(k/2)"``)::

    [[claim]]
    name = "dilated receptive field"
    quantity = "effective-kernel"
    formula = "k+(r-1)*(k+1)"

    [[claim]]
    quantity = "grad-input"
    formula = "conv(pad(delta, k-1), rot180(W))"
    spec = { input = 3, kernel = 2 }
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symconv.errors import ClaimError, SymconvError
from symconv.options import cli_words
from symconv.verify.checking import Progress
from symconv.verify.driver import verify_options
from symconv.verify.options import quantity_name
from symconv.verify.parsing import FormulaParseError
from symconv.verify.result import VerifyResult

CLAIM_KEYS = ("quantity", "formula", "spec", "name", "domain", "where")


@dataclass(frozen=True)
class Claim:
    """One claim of a claims file (``number`` counts from 1, in file order)."""

    number: int
    quantity: str
    formula: str
    spec: Mapping[str, Any]
    name: str = ""
    domain: str | Mapping[str, Any] | None = None
    where: str | Sequence[str] | None = None

    @property
    def label(self) -> str:
        return f"claim {self.number}" + (f" ({self.name})" if self.name else "")

    def options_text(self) -> str:
        """The spec written as SPEC options, and the domain and constraints the claim gives:
        ``--input 3 --kernel 2``, ``--stride 1 --where "k odd, p = floor(k/2)"``."""
        words = [cli_words(key.replace("_", "-"), _layers_text(value) if key == "layers" else
                           value if value is not True else None)
                 for key, value in self.spec.items() if value is not False]
        if isinstance(self.domain, str):
            words.append(f"--domain {self.domain}")
        elif self.domain is not None:
            words.append("--domain " + ",".join(f"{k}={v[0]}..{v[1]}" if isinstance(v, list) else f"{k}={v}"
                                                for k, v in self.domain.items()))
        if self.where is not None:
            text = self.where if isinstance(self.where, str) else ", ".join(self.where)
            words.append(f'--where "{text}"')
        return " ".join(words)


def _layers_text(value: Any) -> Any:
    """A claim file's layers as --layers writes them: [[3, 1], [3, 2]] → '3,1;3,2'."""
    if isinstance(value, list):
        return ";".join(",".join(str(v) for v in layer) if isinstance(layer, list) else str(layer)
                        for layer in value)
    return value


def load_claims(path: str | Path) -> list[Claim]:
    """The claims of a TOML file; ClaimError names the file, the claim and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ClaimError(f"--claims {path}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ClaimError(f"--claims {path}: not a UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ClaimError(f"--claims {path}: not valid TOML: {error}") from None
    extra = [k for k in data if k != "claim"]
    if extra:
        raise ClaimError(
            f"--claims {path}: unknown top-level key {extra[0]!r}: the file holds [[claim]] tables"
        )
    entries = data.get("claim")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ClaimError(
            f"--claims {path}: no claims: write each as a [[claim]] table with quantity and formula"
        )
    return [_claim(path, i, entry) for i, entry in enumerate(entries, start=1)]


def _claim(path: Path, number: int, entry: Mapping[str, Any]) -> Claim:
    where = f"--claims {path}: claim {number}"
    for key in entry:
        if key not in CLAIM_KEYS:
            raise ClaimError(f"{where}: unknown key {key!r}: a claim has {', '.join(CLAIM_KEYS)}")
    for key in ("quantity", "formula"):
        if key not in entry:
            raise ClaimError(f"{where} has no {key}")
        if not isinstance(entry[key], str):
            raise ClaimError(f"{where}: {key} must be a string")
    spec = entry.get("spec", {})
    if not isinstance(spec, dict):
        raise ClaimError(f"{where}: spec must be a table, e.g. spec = {{ input = 3, kernel = 2 }}")
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise ClaimError(f"{where}: name must be a string")
    try:
        quantity = quantity_name(entry["quantity"])
    except ClaimError as error:
        raise ClaimError(f"{where}: {error}") from None
    domain = entry.get("domain")
    if domain is not None and not isinstance(domain, (str, dict)):
        raise ClaimError(f'{where}: domain must be a string like "n=1..64,s=1..4"')
    constraints = entry.get("where")
    if constraints is not None and not (isinstance(constraints, str) or (
            isinstance(constraints, list) and all(isinstance(c, str) for c in constraints))):
        raise ClaimError(f'{where}: where must be a string like "k odd, p = floor(k/2)" or a list of them')
    for key in ("domain", "where"):
        if key in spec:
            raise ClaimError(f"{where}: {key} belongs to the claim, not to its spec table")
    return Claim(number, quantity, entry["formula"], spec, name, domain, constraints)


@dataclass(frozen=True)
class ClaimsReport:
    """The verdicts on a file's claims, in file order."""

    source: str
    rows: tuple[tuple[Claim, VerifyResult], ...]

    @property
    def holds(self) -> bool:
        return all(result.holds for _, result in self.rows)

    @property
    def refuted(self) -> int:
        return sum(1 for _, result in self.rows if not result.holds)

    def table(self) -> str:
        """One row per claim: number, name (when a claim has one), quantity, formula, spec, verdict;
        then a count."""
        named = any(c.name for c, _ in self.rows)
        header = ("#", *(("name",) if named else ()), "quantity", "formula", "spec", "verdict")
        body = [
            (str(c.number), *((c.name or "—",) if named else ()), c.quantity, c.formula,
             c.options_text() or "—", r.short())
            for c, r in self.rows
        ]
        columns = len(header)
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(columns - 1)]
        lines = []
        for row in [header, *body]:
            cells = [row[0].rjust(widths[0])] + [cell.ljust(w) for cell, w in zip(row[1:-1], widths[1:])]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        count = len(self.rows)
        held = count - self.refuted
        lines.append("")
        claims = "claim" if count == 1 else "claims"
        lines.append(f"{count} {claims}: {held} hold{'s' * (held == 1)}, {self.refuted} refuted")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "claims": self.source,
            "holds": self.holds,
            "refuted": self.refuted,
            "results": [
                {"number": c.number, "name": c.name, "spec": dict(c.spec), **r.to_dict()}
                for c, r in self.rows
            ],
        }


def verify_claims(
    claims: Sequence[Claim], source: str = "", progress: Progress | None = None
) -> ClaimsReport:
    """Check every claim; an unreadable claim raises with its number (FormulaError keeps the caret).
    ``progress(done, total)`` hears how far a long check has got."""
    rows = []
    for claim in claims:
        try:
            options = dict(claim.spec)
            if claim.domain is not None:
                options["domain"] = claim.domain
            if claim.where is not None:
                options["where"] = claim.where
            result = verify_options(claim.quantity, claim.formula, options, style="toml", progress=progress)
        except FormulaParseError as error:
            raise FormulaParseError(
                error.formula, error.start, error.end, f"{claim.label}: {error.message}"
            ) from None
        except SymconvError as error:
            raise ClaimError(f"{source + ': ' if source else ''}{claim.label}: {error}") from None
        rows.append((claim, result))
    return ClaimsReport(source, tuple(rows))
