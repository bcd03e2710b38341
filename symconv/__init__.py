"""symconv: the mathematics of convolution layers, derived, rendered, generated and verified."""

from symconv.codegen import GeneratedCode, generate
from symconv.errors import CodegenError, FormulaError, RenderError, SpecError, SymconvError
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation, derive
from symconv.symbolic.separable import SeparableDerivation, derive_separable
from symconv.version import __version__

__all__ = [
    "CodegenError",
    "ConvSpec",
    "Derivation",
    "FormulaError",
    "GeneratedCode",
    "RenderError",
    "SeparableDerivation",
    "SpecError",
    "SymconvError",
    "__version__",
    "derive",
    "derive_separable",
    "generate",
]
