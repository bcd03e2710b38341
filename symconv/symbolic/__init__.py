"""The symbolic core: tensors, operators, forward, im2col, gradients, derivations."""

from symconv.symbolic.derivation import MAX_PRODUCTS, Derivation, Names, derive

__all__ = ["MAX_PRODUCTS", "Derivation", "Names", "derive"]
