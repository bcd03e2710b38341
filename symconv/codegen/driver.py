"""``generate``: spec → layout (the spec's algebra, the stencil) → the target's backend renders."""

from __future__ import annotations

from symconv.codegen.backend import MARKER
from symconv.codegen.backends import backend_of
from symconv.codegen.config import CodegenConfig
from symconv.codegen.generated import GeneratedCode
from symconv.codegen.layout import layout
from symconv.spec import ConvSpec


def generate(
    spec: ConvSpec, target: str = "numpy", dtype: str = "float64", name: str | None = None,
    threads: int = 1,
) -> GeneratedCode:
    """Generate specialised code for ``spec``: forward, grad_input, grad_weight, grad_bias.

    ``threads`` (C target only): the number of OpenMP threads each function runs
    on, over the batch and channel loops; every output entry is computed by one
    thread in a fixed order, so the results are bit-identical for any number.

    Example:
        >>> import numpy as np
        >>> k = generate(ConvSpec(kernel_size=2), target="numpy")
        >>> sorted(k.files)
        ['conv2d_k2.py']
        >>> m = k.load()
        >>> m.forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))).tolist()
        [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    config = CodegenConfig.make(spec, target, dtype, name, threads)
    files = backend_of(config.target).render(layout(config.spec), config)
    return GeneratedCode(config, files)


__all__ = ["MARKER", "generate"]
