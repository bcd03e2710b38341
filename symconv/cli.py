"""The ``symconv`` command line (placeholder until the CLI lands)."""


def main() -> None:
    raise SystemExit("symconv: the command line is not built yet")
