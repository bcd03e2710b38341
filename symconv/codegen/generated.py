"""``GeneratedCode``: the files generated for one spec and target, and the backend that loads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symconv.codegen.backend import Backend
from symconv.codegen.backends import backend_of
from symconv.codegen.config import CodegenConfig
from symconv.spec import ConvSpec


@dataclass(frozen=True)
class GeneratedCode:
    """Generated source files for one spec and target, and how to load them."""

    config: CodegenConfig
    files: dict[str, str] = field(hash=False)

    @property
    def backend(self) -> Backend:
        """The target's backend (it rendered the files; it loads them and says how to use them)."""
        return backend_of(self.config.target)

    @property
    def spec(self) -> ConvSpec:
        return self.config.spec

    @property
    def name(self) -> str:
        return self.config.name

    def load(self) -> Any:
        """The functions ready to call: ``forward``, ``grad_input``, ``grad_weight``, ``grad_bias``.

        NumPy: the module is imported from its text. C: the source is compiled
        with the system C compiler into a cache keyed by its hash, and the
        generated ctypes binding is imported from its text, bound to it.
        """
        return self.backend.load(self)
