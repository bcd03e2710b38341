"""Loading generated code: import the NumPy module, or compile and wrap the C."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symconv.codegen.driver import GeneratedCode


def load_numpy(code: GeneratedCode) -> types.ModuleType:
    """Execute the generated module's text as a fresh module named after it."""
    (filename, text), = code.files.items()
    module = types.ModuleType(code.name)
    module.__file__ = f"<symconv generated {filename}>"
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


def load(code: GeneratedCode) -> Any:
    if code.config.target == "numpy":
        return load_numpy(code)
    raise NotImplementedError
