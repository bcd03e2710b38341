"""The ``symconv`` command line: parse options → build a ConvSpec → call the API → print.

Thin on purpose: the mathematics lives in ``symconv.symbolic``, the layout in
``symconv.render``. One job per module:

- ``errors``: the program name, the exit codes, CliError (bad input: one line, exit 2);
- ``options``: click types over the shared parsers of ``symconv.options``, and the SPEC options
  every convolution command shares;
- ``output``: printing, atomic writes (all files or none), refusals, progress notes;
- ``help``: the help layout;
- ``derive``, ``gen``, ``verify``: one command each;
- ``app``: the ``symconv`` group and ``main``, which turns every error into one line
  on stderr and an exit code (DESIGN.md: 0 on success, 2 on bad input, no traceback,
  and no output file unless the run succeeded).
"""

from symconv.cli.app import cli, main
from symconv.options import parse_size as parse_sizes

__all__ = ["cli", "main", "parse_sizes"]
