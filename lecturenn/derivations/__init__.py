"""SymPy derivations of the lecture, one module per chapter.

====================================  =============================================
module                                chapter
====================================  =============================================
``lecturenn.derivations.neurons``     1. The neuron and Boolean functions
``lecturenn.derivations.backprop``    2. Multilayer networks and BackProp
``lecturenn.derivations.optimizers``  3. Convergence heuristics
====================================  =============================================
"""

from lecturenn.derivations import backprop, neurons, optimizers

__all__ = ["backprop", "neurons", "optimizers"]
