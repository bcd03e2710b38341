"""``symconv verify``: check a hand-written formula (or a file of claims) → print the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from symconv.cli.errors import EXIT_BAD_INPUT, PROG, CliError
from symconv.cli.help import Command
from symconv.cli.options import ChoiceType, IntType, typed_spec_options
from symconv.cli.output import _progress, _write
from symconv.errors import SymconvError
from symconv.verify import QUANTITIES, FormulaParseError, load_claims, verify_claims, verify_options


class VerifyCommand(Command):
    """``verify``: a FORMULA may start with a minus sign (``"-k+n+1"``), which click would take for an
    option; a word that starts with a single ``-`` and is no option of verify is a formula."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        valued = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        known = valued | {o for p in self.params if isinstance(p, click.Option)
                          for o in (*p.opts, *p.secondary_opts)} | set(ctx.help_option_names)
        out: list[str] = []
        value_next = False
        for arg in args:
            if arg == "--" or value_next:
                value_next = False
                out.append(arg)
                continue
            name = arg.split("=", 1)[0]
            value_next = name in valued and "=" not in arg
            formula = arg.startswith("-") and not arg.startswith("--") and len(arg) > 1 and name not in known
            out.append(" " + arg if formula else arg)  # a leading space: click reads it as an argument
        return super().parse_args(ctx, out)


@click.command(
    cls=VerifyCommand,
    name="verify",
    short_help="Check a hand-written formula against the derivation: proved, or refuted with an example.",
)
@click.argument("quantity", required=False)
@click.argument("formula", required=False)
@typed_spec_options
@click.option(
    "--layers", default=None, metavar="K,S,D;...|N",
    help="A stack, for receptive-field, jump, start and the costs: each layer's kernel, stride, "
    "dilation, padding and output channels, layers separated by ; (s and d default to 1, p to 0; c "
    "only the costs need; or named: k=3,p=1,c=16; one point), or the number of layers with every "
    "per-layer variable free (at most 8); the formula may use k_1, s_1, d_1, p_1, c_1, k_2, … and L: "
    "--layers '3,1,1;3,2,1', --layers '3,1,1,1,16;3,2,1,1,32', --layers 2.",
)
@click.option(
    "--output-padding", type=IntType(minimum=0), default=None, metavar="A",
    help="Fix the output padding a of transposed-output-size: --output-padding 1.",
)
@click.option(
    "--domain", multiple=True, metavar="VAR=LOW..HIGH,...",
    help="The ranges the free variables of a scalar quantity run over, instead of the built-in ones "
    "(at most 1,000,000 points; repeat it or join ranges by commas): --domain n=1..64,s=1..4.",
)
@click.option(
    "--where", multiple=True, metavar="CONSTRAINTS",
    help="Constraints between the variables of a scalar quantity, separated by commas: VAR odd, VAR "
    "even, or two formulas with = != < <= > >=; an equation with a lone variable on one side computes "
    "it (repeat it, or join constraints by commas): --where \"k odd, p = floor(k/2)\".",
)
@click.option(
    "--claims", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
    help="Check every claim of a TOML file ([[claim]] tables with quantity, formula and an optional "
    "spec) and print a table; exit 1 if any is refuted: --claims examples/claims-note.toml.",
)
@click.option(
    "--format", "fmt", type=ChoiceType(["text", "json"]), default="text", show_default=True,
    help="Output format: --format json for the result object (verdict, method, domain, counterexample, "
    "correct formula).",
)
def verify_command(
    quantity: str | None, formula: str | None, given: dict[str, Any], layers: str | None,
    output_padding: int | None, domain: tuple[str, ...], where: tuple[str, ...], claims: Path | None,
    fmt: str,
) -> int:
    """Check a hand-written FORMULA for QUANTITY against what symconv derives.

    Exit 0 when the formula holds (proved symbolically, or checked exhaustively
    on a bounded domain that the verdict names: "holds on n = 1…32, … (not
    proved)"; --domain widens it), 1 when it is refuted (with the smallest
    counterexample, the claimed and the true value, and the correct formula), 2
    for bad input.

    \b
    Scalar quantities, formulas in n k s p d (r = d) c_in c_out g a L N p_before p_after:
      sizes:      output-size  asymmetric-output-size  same-padding (before, after)
                  same-output-size  effective-kernel  im2col-shape (rows, columns)
      stacks:     receptive-field  jump  start (--layers: k_1 s_1 d_1 p_1 c_1 …)
      costs:      params  macs  grad-input-macs  grad-weight-macs  backward-macs
                  activations (also for a stack: --layers "3,1,1,1,16;3,2,1,1,32")
      transposed: transposed-output-size  transposed-zeros  transposed-padding
                  transposed-output-padding  transposed-params  transposed-macs
    SPEC options given fix variables (--dilation 1 fixes d; --input 7x9 checks
    each dimension); defaults fix nothing. --where relates the others.
    Tensor quantities, formulas in x W b delta with conv pad crop dilate rot180
    sum hadamard (A * B of two tensors is the note's conv):
      forward  grad-input  grad-weight  grad-bias
      grad-preactivation (δ^l for x = σ(z): formulas may use z and dsigma(z), \\sigma'(z))
    Checked exactly for the spec the SPEC options make (an open --input is swept),
    or on a sweep of small specs when no SPEC option is given.
    Formulas in SymPy syntax or LaTeX (detected by a backslash or brace).

    \b
    Examples:
      symconv verify effective-kernel "k+(r-1)*(k+1)"
      symconv verify output-size '\\left\\lfloor \\frac{n+2p-k}{s} \\right\\rfloor + 1' --dilation 1
      symconv verify receptive-field "1 + L*(k-1)" --stride 1 --dilation 1
      symconv verify output-size "n" --stride 1 --dilation 1 --where "k odd, p = floor(k/2)"
      symconv verify grad-input "conv(pad(delta, k-1), rot180(W))" --input 3 --kernel 2
      symconv verify grad-bias "sum(delta)"
      symconv verify grad-preactivation "conv(pad(delta, k-1), rot180(W)) ⊙ dsigma(z)" --input 3 --kernel 2
      symconv verify --claims examples/claims-note.toml
    """
    if layers is not None:
        given["layers"] = layers
    if output_padding is not None:
        given["output-padding"] = output_padding
    if domain:
        given["domain"] = ",".join(domain)
    if where:
        given["where"] = ", ".join(where)
    try:
        if claims is not None:
            if quantity is not None or given:
                raise CliError("--claims takes every claim, with its spec, from FILE: give no QUANTITY, "
                               "FORMULA or SPEC options with it")
            _progress("checking the claims …")
            report = verify_claims(load_claims(claims), str(claims), _checked)
            holds, text, data = report.holds, report.table(), report.to_dict()
        else:
            if quantity is None or formula is None:
                raise CliError(f"{'FORMULA' if quantity else 'QUANTITY'} is missing: give QUANTITY and "
                               f"FORMULA, or --claims FILE; the quantities are {', '.join(QUANTITIES)}")
            _progress("checking …")
            result = verify_options(quantity, formula.strip(), given, progress=_checked)
            holds, text, data = result.holds, result.report(), result.to_dict()
    except FormulaParseError as error:  # the one error with more than one line: the caret
        click.echo(f"{PROG}: error: {error.message}", err=True)
        for line in error.caret_lines():
            click.echo(f"  {line}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except SymconvError as error:
        raise CliError(str(error)) from None
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    _write(text, None)
    return 0 if holds else 1


def _checked(done: int, total: int) -> None:
    _progress(f"checked {done:,} of {total:,} points …")
