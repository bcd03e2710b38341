"""The ``symconv`` group and the entry point: every error becomes one line on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from symconv.cli.derive import derive
from symconv.cli.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, PROG
from symconv.cli.figure import figure_command
from symconv.cli.gen import gen
from symconv.cli.help import Group
from symconv.cli.verify import verify_command
from symconv.errors import SymconvError
from symconv.version import __version__


@click.group(
    name=PROG,
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli() -> None:
    """The mathematics of convolution layers, derived with SymPy.

    symconv takes a convolution's hyper-parameters (the SPEC options) and derives
    the layer symbolically: the output by the definition, its unrolled (im2col)
    form Ŷ = X̂·K̂, and the back-propagation gradients, proved equal by two
    independent routes; and it generates specialised NumPy and C code for the
    forward and backward pass.

    \b
    Examples:
      symconv derive --input 3 --kernel 2
      symconv derive --input 5 --kernel 3 --stride 2 --padding 1 --backward
      symconv derive --input 7 --in-channels 2 --out-channels 4 --groups 2
      symconv derive --input 6 --in-channels 3 --out-channels 8 --separable
      symconv gen --kernel 3 --dilation 2
      symconv figure sliding --input 5 --kernel 3 --stride 2 --padding 1 --out sliding.svg
    """


# The commands live one per module; the group lays out their help in HelpFormatter.
for _command in (derive, gen, verify_command, figure_command):
    cli.add_command(_command)


# -- entry point ------------------------------------------------------------------------------


def _error(message: str) -> int:
    """Print ``symconv: error: …`` as one line on stderr; the exit code for bad input."""
    one_line = " ".join(message.split())
    click.echo(f"{PROG}: error: {one_line}", err=True)
    return EXIT_BAD_INPUT


def _option_of(param: click.Parameter | None) -> str | None:
    """The long name of an option (``--input``), or an argument's metavar."""
    if param is None:
        return None
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


def _usage_message(error: click.UsageError) -> str:
    """One line for click's own usage errors, in the style of the CLI's other errors."""
    if isinstance(error, click.BadParameter) and not isinstance(error, click.MissingParameter):
        hint = error.param_hint if isinstance(error.param_hint, str) else _option_of(error.param)
        return f"{hint} {error.message}" if hint else error.message
    message = error.format_message()
    if error.ctx is not None:
        message += f" (see '{error.ctx.command_path} --help')"
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: the process arguments) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:  # bare `symconv`: the help, not an error
        with cli.make_context(PROG, ["--help"], resilient_parsing=True) as ctx:
            click.echo(cli.get_help(ctx))
        return 0
    try:
        result = cli.main(args, prog_name=PROG, standalone_mode=False)
    except click.UsageError as error:
        return _error(_usage_message(error))
    except click.ClickException as error:
        return _error(error.format_message())
    except SymconvError as error:  # a check inside the API that the CLI did not anticipate
        return _error(str(error))
    except click.Abort:
        click.echo(f"{PROG}: interrupted", err=True)
        return EXIT_INTERRUPTED
    except RecursionError:
        return _error("the input is nested too deeply to process: simplify it")
    except MemoryError:
        return _error("the input is too large for this machine's memory: use smaller sizes")
    except Exception as error:  # a bug: still one line, no traceback, and a way to report it
        return _error(
            f"internal error ({type(error).__name__}: {error}); please report it with the command line"
        )
    return result if isinstance(result, int) else 0
