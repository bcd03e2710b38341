"""The algebra of convolution: the operator vocabulary as SymPy objects, its evaluator, the closed
forms of the forward pass and its gradients, and the index formulas with symbolic sizes.

Everything here is stated once; :mod:`symconv.symbolic` evaluates it on instances,
the printers print it, and ``render``, ``codegen`` and ``verify`` consume it.
"""
