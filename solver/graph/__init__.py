"""Stage 2: a problem becomes a graph of sympy nodes, with exact values and gradients.

:mod:`.model` holds the :class:`Graph`; :mod:`.network` (with :mod:`.naming`) builds a
layered network's, :mod:`.spec` a graph problem's; :mod:`.backprop` computes values
and reverse-mode gradients, :mod:`.training` runs an optimizer for many steps,
:mod:`.structure` counts parameters and works out shapes of an architecture.
"""
