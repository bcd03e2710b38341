"""Printers: SymPy printer subclasses that print the algebra's expressions in each notation.

- :mod:`symconv.printing.note_latex`: LaTeX in the source note's notation (documents);
- :mod:`symconv.printing.plain_text`: plain text for the terminal (``derive --format text``);
- :mod:`symconv.printing.operator_text`: the operator language ``symconv verify`` reads;
- :mod:`symconv.printing.code`: C and Python for generated code (integer size arithmetic).
"""
