"""The backends, one per target (``symconv.codegen.config.TARGETS``)."""

from __future__ import annotations

from symconv.codegen.backend import Backend
from symconv.codegen.c_backend import C
from symconv.codegen.numpy_backend import NUMPY

BACKENDS: dict[str, Backend] = {backend.target: backend for backend in (NUMPY, C)}


def backend_of(target: str) -> Backend:
    """The backend of ``target`` (a validated target: one of ``TARGETS``)."""
    return BACKENDS[target]
