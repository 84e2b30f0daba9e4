"""SymPy derivations of the lecture, one module per chapter or topic.

=======================================  ================================================
module                                   what it derives
=======================================  ================================================
``lecturenn.derivations.neurons``        the neuron and Boolean functions
``lecturenn.derivations.approximation``  universal approximation: steps, bounds, one threshold
``lecturenn.derivations.activations``    the derivatives of the activation functions
``lecturenn.derivations.losses``         the derivatives of the losses
``lecturenn.derivations.backprop``       the BackProp recurrence and its cost
``lecturenn.derivations.optimizers``     momentum, adaptive steps, gradient clipping
``lecturenn.derivations.pruning``        the OBD salience, second derivatives, the recurrence
``lecturenn.derivations.splines``        B-splines: partition of unity, support, derivative
``lecturenn.derivations.kan``            the gradients of a KAN layer
``lecturenn.derivations.kan_symbolic``   snapped KAN edges: library, affine gradients, R²
=======================================  ================================================
"""

from lecturenn.derivations import (
    activations,
    approximation,
    backprop,
    kan,
    kan_symbolic,
    losses,
    neurons,
    optimizers,
    pruning,
    splines,
)

__all__ = [
    "activations",
    "approximation",
    "backprop",
    "kan",
    "kan_symbolic",
    "losses",
    "neurons",
    "optimizers",
    "pruning",
    "splines",
]
