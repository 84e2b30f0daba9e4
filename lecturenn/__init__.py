"""lecturenn: the executable companion of K. V. Vorontsov's lecture on neural networks.

One module per idea of the lecture, named so that a reader finds the code of a slide:

=============================  ==============================================================
module                         slides
=============================  ==============================================================
``lecturenn.neuron``           «Искусственный нейрон — линейная модель классификации»
``lecturenn.boolean``          «Нейронная реализация булевых функций», «функция XOR»
``lecturenn.perceptron``       «Перцептрон Розенблатта (1957)»
``lecturenn.activations``      the activation functions σ, including «ReLU и PReLU»
``lecturenn.losses``           «Напоминание: модели классификации и регрессии» (the losses L)
``lecturenn.approximation``    «Двухслойные сети — универсальные аппроксиматоры функций»:
                               the constructed networks (staircases, ReLU interpolants,
                               ridge functions) and Köppen's Kolmogorov–Arnold inner function
``lecturenn.layers``           «Обобщение: полносвязная нейронная сеть с L слоями»
``lecturenn.network``          «Алгоритм обратного распространения ошибки BackProp»
``lecturenn.training``         «Напоминание: алгоритм SG», the training loop
``lecturenn.gradcheck``        finite-difference checks of every gradient
``lecturenn.serialization``    saving and loading weights (``.npz``, no pickle)
``lecturenn.optim``            a package, one module per slide: ``sgd`` «алгоритм SG»,
                               ``momentum`` «Метод накопления инерции», ``adaptive``
                               «Адаптивные градиенты», ``combined`` «Комбинированные
                               градиентные методы», ``clipping`` «gradient clipping»
``lecturenn.testfunctions``    the optimizers' test landscapes (ravine, saddle, Rosenbrock)
``lecturenn.dropout``          «Метод случайных отключений нейронов (Dropout)», «Обратный
                               Dropout и L2-регуляризация»: the ``Dropout`` layer, both forms;
                               ``lecturenn.dropout_interpretations``: «Интерпретации Dropout»
                               measured (deleted units, co-adaptation, the 2^N thinned
                               networks enumerated, Monte-Carlo averaging)
``lecturenn.init``             «Эвристики для начального приближения»: LeCun, Glorot-Bengio,
                               He (ReLU/PReLU), orthogonal initialisations, ``INITS``;
                               ``lecturenn.init_pretrain``: items 3 and 4 (neurons trained as
                               linear models, a pretrained model); ``lecturenn.init_diagnostics``:
                               the measurements of the papers' figures
``lecturenn.batchnorm``        «Пакетная нормализация данных (Batch Normalization)»: the
                               ``BatchNorm`` layer, ``batchnorm_network`` (both placements);
                               ``lecturenn.activation_layer``: an activation as a layer of
                               its own (``ActivationLayer``), for a normalization between
                               S and σ
``lecturenn.pruning``          «Прореживание сети (OBD — Optimal Brain Damage)»: the Hessian's
                               diagonal by a second backward pass, saliences, masks, the
                               slide's pruning loop, feature selection, Optimal Brain Surgeon
``lecturenn.splines``          «Имеет ли теорема Колмогорова отношение к нейросетям?»: the
                               one-dimensional B-splines of a KAN (Cox–de Boor, derivatives,
                               least-squares fit, the policy outside the grid);
                               ``lecturenn.kan``: the ``KANLayer`` (hand-written BackProp),
                               the ``KAN`` builder, grid update and extension;
                               ``lecturenn.kan_sparsity``: the paper's L1 + entropy penalty,
                               pruning; ``lecturenn.kan_scaling``: the chapter's experiments;
                               ``lecturenn.kan_compare``: KAN against an MLP at equal
                               parameter count on the paper's §3.1 functions (J0 in NumPy);
                               ``lecturenn.kan_symbolic``: edges snapped to c f(ax+b)+d, the
                               network as a SymPy formula
``lecturenn.derivations``      the SymPy derivations, one module per chapter (imports SymPy)
=============================  ==============================================================

The names most used in exercises are importable from the top level::

    import lecturenn as ln
    net = ln.Network([2, 16, 1], activation="tanh", output="sigmoid", rng=0)

Every module is also an attribute: ``ln.data.two_moons()``, ``ln.optim.Adam``,
``ln.plotting.plot_decision_regions``. Only NumPy is imported by ``import lecturenn``;
``ln.derivations`` imports SymPy and ``ln.plotting`` imports matplotlib, on first use.
"""

import importlib as _importlib

from lecturenn import approximation as approximation
from lecturenn import data as data  # the modules themselves, as attributes
from lecturenn import init as init
from lecturenn import kan_symbolic as kan_symbolic  # registers SymbolicKANLayer for load
from lecturenn import pruning as pruning
from lecturenn import testfunctions as testfunctions
from lecturenn.activation_layer import ActivationLayer
from lecturenn.activations import ELU, Identity, LeakyReLU, PReLU, ReLU, Sigmoid, Tanh
from lecturenn.batchnorm import BatchNorm, batchnorm_network
from lecturenn.boolean import and_neuron, compile_dnf, not_neuron, or_neuron, xor_network
from lecturenn.dropout import Dropout, dropout_network
from lecturenn.gradcheck import check_gradients
from lecturenn.kan import KAN, KANLayer
from lecturenn.layers import Dense
from lecturenn.losses import (
    AbsoluteError,
    EpsilonInsensitive,
    HingeLoss,
    LogisticLoss,
    SoftmaxCrossEntropy,
    SquaredError,
)
from lecturenn.network import Network
from lecturenn.neuron import Neuron
from lecturenn.optim import (
    SGD,
    AdaDelta,
    Adam,
    Momentum,
    Nadam,
    Nesterov,
    RMSProp,
    clip_grad_norm,
)
from lecturenn.parameter import Parameter
from lecturenn.perceptron import Perceptron
from lecturenn.serialization import load, load_into, save
from lecturenn.training import evaluate, fit, learning_curves, sg_backprop

__version__ = "0.1.0"

# modules with a heavy dependency, imported on first attribute access (PEP 562)
_LAZY_MODULES = ("derivations", "plotting")


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_MODULES))

__all__ = [
    "AbsoluteError",
    "ActivationLayer",
    "AdaDelta",
    "Adam",
    "BatchNorm",
    "Dense",
    "Dropout",
    "ELU",
    "EpsilonInsensitive",
    "HingeLoss",
    "Identity",
    "KAN",
    "KANLayer",
    "LeakyReLU",
    "LogisticLoss",
    "Momentum",
    "Nadam",
    "Nesterov",
    "Network",
    "Neuron",
    "PReLU",
    "Parameter",
    "Perceptron",
    "RMSProp",
    "ReLU",
    "SGD",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Tanh",
    "and_neuron",
    "batchnorm_network",
    "check_gradients",
    "clip_grad_norm",
    "compile_dnf",
    "dropout_network",
    "evaluate",
    "fit",
    "learning_curves",
    "load",
    "load_into",
    "not_neuron",
    "or_neuron",
    "save",
    "sg_backprop",
    "xor_network",
]
