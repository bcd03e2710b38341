"""The symbolic core: tensors, operators, forward, im2col, gradients, derivations."""

from symconv.symbolic.derivation import Derivation, Names, derive

__all__ = ["Derivation", "Names", "derive"]
