"""Code generation: specialised NumPy and C for a convolution's forward and backward pass."""

from symconv.codegen.config import CodegenConfig, default_name
from symconv.codegen.driver import generate
from symconv.codegen.generated import GeneratedCode

__all__ = ["CodegenConfig", "GeneratedCode", "default_name", "generate"]
