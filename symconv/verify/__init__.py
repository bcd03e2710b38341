"""Hand-written formulas checked against what symconv derives: proved, or refuted with a counterexample.

Stages, one module each: ``parsing`` (SymPy or LaTeX syntax, positions for
errors), ``expressions`` (scalar formulas: names, exact evaluation, SymPy form),
``quantities`` (the truth, counted from the derivation machinery), ``checking``
(exhaustive check, smallest counterexample, symbolic proof), ``tensors`` (the
operator language for gradient formulas), ``options`` (what a claim fixes),
``claims`` (a TOML file of claims), ``result`` (the verdict) and ``driver``.
"""

from symconv.verify.claims import Claim, ClaimsReport, load_claims, verify_claims
from symconv.verify.driver import verify, verify_options
from symconv.verify.options import QUANTITIES
from symconv.verify.parsing import FormulaParseError
from symconv.verify.result import Domain, ScalarCounterexample, TensorCounterexample, VerifyResult

__all__ = [
    "QUANTITIES",
    "Claim",
    "ClaimsReport",
    "Domain",
    "FormulaParseError",
    "ScalarCounterexample",
    "TensorCounterexample",
    "VerifyResult",
    "load_claims",
    "verify",
    "verify_claims",
    "verify_options",
]
