"""The C target (placeholder while the NumPy target lands)."""

from __future__ import annotations

from typing import Any

from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout


def context(lay: Layout, config: CodegenConfig) -> dict[str, Any]:
    raise NotImplementedError
