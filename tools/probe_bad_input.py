"""Probe the public API of lecturenn with bad input and sort what happens.

    python tools/probe_bad_input.py            # the table of every case that is not "clear"
    python tools/probe_bad_input.py --all      # every case
    python tools/probe_bad_input.py --only fit # the cases of the targets whose name contains "fit"

Each *target* is a public callable with a valid baseline call. The probe replaces one
argument of the baseline at a time by each value of a list of bad values (``None``, a
string, NaN, infinity, a negative number, a fraction, a Boolean, a complex number, an
empty list, a ragged list, arrays holding NaN or inf, arrays of the wrong rank) and records
what the call does:

``clear``
    a ``ValueError``/``TypeError`` (or an ``OSError`` of a path) whose message names the
    argument (or one of the words the target lists for it);
``vague``
    one of those exceptions, but the message does not name the argument;
``obscure``
    another exception (``AttributeError``, ``IndexError``, ``ZeroDivisionError``, ...), or
    one raised from inside NumPy rather than by lecturenn;
``accepted``
    no exception. Often right (``2.7`` is a fine learning rate); the table shows the result
    so that a silently wrong one stands out. A NumPy ``RuntimeWarning`` is noted.
``hang``
    the call did not return within a few seconds.

The probe is a tool for finding cases, not a test: what it finds is fixed in the package and
pinned in ``tests/test_bad_input.py``. Bad values are small: no case asks for a large
allocation. Add a target for a new public function to ``TARGETS``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import math
import os
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import lecturenn as ln
from lecturenn import (
    approximation,
    boolean,
    data,
    gradcheck,
    init_diagnostics,
    init_pretrain,
    kan_compare,
    losses,
    neuron,
    optim,
    perceptron,
    pruning,
    testfunctions,
)
from lecturenn.activations import get_activation
from lecturenn.layers import Dense, layer_from_config
from lecturenn.parameter import Parameter, as_parameter_list

NAN, INF = float("nan"), float("inf")

#: the bad values tried for every argument (small: nothing here asks for a big allocation)
BAD_VALUES: dict[str, object] = {
    "None": None,
    "str": "abc",
    "nan": NAN,
    "inf": INF,
    "-1": -1,
    "0": 0,
    "2.7": 2.7,
    "True": True,
    "complex": 1 + 2j,
    "[]": [],
    "ragged": [[1.0], [1.0, 2.0]],
    "['a']": ["a"],
    "arr nan": np.array([[NAN, 1.0], [0.0, 1.0]]),
    "arr inf": np.array([[INF, 1.0], [0.0, 1.0]]),
    "arr 0-d": np.array(1.0),
    "arr 3-d": np.zeros((2, 2, 2)),
    "arr int": np.array([[1, 0], [0, 1]]),
    "arr complex": np.array([[1 + 1j, 0], [0, 1]]),
    "dict": {"a": 1},
}


@dataclass
class Target:
    """A public callable and a valid call of it: ``make()`` returns ``(function, kwargs)``."""

    name: str
    make: Callable[[], tuple[Callable, dict]]
    #: extra words that count as naming an argument, by argument
    aliases: dict = field(default_factory=dict)


def _net(sizes=(2, 3, 1), **kw):
    return ln.Network(list(sizes), rng=0, **kw)


def _xy(n=4):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])[:n]
    y = np.array([1.0, 1.0, 0.0, 0.0])[:n]
    return X, y


def _blobs():
    """Four objects of two classes (integer labels), for the classifiers of init_pretrain."""
    return np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]), np.array([0, 1, 0, 1])


def _param(values=(1.0, -2.0), grad=True):
    p = Parameter(np.array(values), name="w")
    if grad:
        p.grad = np.ones_like(p.data)
    return p


def _method(obj_factory, method):
    def make_call(**kw):
        return getattr(obj_factory(), method)(**kw)
    make_call.__name__ = method
    return make_call


def _forwarded():
    net = _net()
    net.forward(np.ones((2, 2)))
    return net


def _fit_with_optimizer(optimizer):
    return ln.fit(_net(), *_xy(), "squared", optimizer=optimizer, epochs=1)


_TMP = tempfile.mkdtemp(prefix="lecturenn-probe-")
_SAVED = os.path.join(_TMP, "net.npz")
ln.save(_net(), _SAVED)

TARGETS: list[Target] = [
    # -- activations (called directly, as students do)
    *[Target(f"{cls.__name__}.__call__", lambda cls=cls: (cls(), {"s": np.array([[-1.0, 2.0]])}))
      for cls in (ln.Identity, ln.Sigmoid, ln.Tanh, ln.ReLU, ln.LeakyReLU,
                  ln.activations.SiLU)],
    Target("PReLU.__call__", lambda: (ln.PReLU(2), {"s": np.array([[-1.0, 2.0]])})),
    Target("LeakyReLU", lambda: (ln.LeakyReLU, {"alpha": 0.1})),
    Target("PReLU", lambda: (ln.PReLU, {"n_units": 2, "alpha": 0.25, "shared": False,
                                        "dtype": np.float64})),
    Target("get_activation", lambda: (get_activation, {"spec": "tanh", "n_units": 2})),
    # -- layers and networks
    Target("Dense", lambda: (Dense, {"n_in": 2, "n_out": 3, "activation": "tanh", "rng": 0,
                                     "dtype": np.float64, "init": "uniform"})),
    Target("Dense.__call__", lambda: (Dense(2, 3), {"x": np.ones((2, 2))})),
    *[Target(f"init.{f}", lambda f=f, kw=kw: (getattr(ln.init, f), {"n_in": 3, "n_out": 2,
                                                                   "rng": 0, **kw}))
      for f, kw in [(g, {"gain": 1.0}) for g in ("lecun_uniform", "lecun_normal",
                                                 "glorot_uniform", "glorot_normal",
                                                 "orthogonal")]
      + [(g, {"a": 0.25, "mode": "fan_in"}) for g in ("he_uniform", "he_normal")]],
    Target("init.get_init", lambda: (ln.init.get_init, {"init": "he_normal"})),
    # -- the initialisation chapter: items 3 and 4 (init_pretrain), the measurements
    Target("init_pretrain.linear_neurons", lambda: (init_pretrain.linear_neurons, {
        "X": _blobs()[0], "y": _blobs()[1], "n_units": 3, "source": "subsample",
        "fraction": 0.5, "epochs": 2, "lr": 1.0, "lam": 1e-3, "rng": 0, "n_classes": 2,
        "unit_scale": True})),
    Target("init_pretrain.linear_neurons_network", lambda: (
        init_pretrain.linear_neurons_network, {"widths": [2, 3, 2], "X": _blobs()[0],
                                               "y": _blobs()[1], "activation": "tanh",
                                               "rng": 0})),
    Target("init_pretrain.transfer_network", lambda: (init_pretrain.transfer_network, {
        "source": _net((2, 3, 2)), "n_out": 2, "rng": 0, "init": "glorot_uniform"})),
    Target("init_pretrain.init_experiment", lambda: (init_pretrain.init_experiment, {
        "build": lambda s: _net((2, 3, 2)), "X_train": _blobs()[0], "y_train": _blobs()[1],
        "X_test": _blobs()[0], "y_test": _blobs()[1], "seeds": [0], "epochs": 1,
        "optimizer": None, "batch_size": 2, "loss": "cross_entropy"})),
    Target("init_diagnostics.layer_statistics", lambda: (init_diagnostics.layer_statistics, {
        "net": _net((2, 3, 2)), "X": _blobs()[0], "y": _blobs()[1],
        "loss": "cross_entropy"})),
    Target("init_diagnostics.jacobian_singular_values", lambda: (
        init_diagnostics.jacobian_singular_values, {"net": _net(), "X": np.ones((2, 2))})),
    Target("init_diagnostics.signal_second_moments", lambda: (
        init_diagnostics.signal_second_moments, {"net": _net(), "X": np.ones((2, 2))})),
    Target("init_diagnostics.product_singular_values", lambda: (
        init_diagnostics.product_singular_values, {"init": ln.init.orthogonal, "n": 2,
                                                   "depths": [1, 2], "rng": 0})),
    Target("init_diagnostics.deep_linear_learning_time", lambda: (
        init_diagnostics.deep_linear_learning_time, {
            "init": ln.init.orthogonal, "depth": 2, "X": np.eye(2), "Y": np.eye(2),
            "lr": 0.05, "tol": 0.1, "max_epochs": 3, "rng": 0})),
    Target("init_diagnostics.mean_activations_during_training", lambda: (
        init_diagnostics.mean_activations_during_training, {
            "net": _net((2, 3, 2)), "X": _blobs()[0], "y": _blobs()[1],
            "X_probe": _blobs()[0], "optimizer": None, "epochs": 2, "every": 1,
            "batch_size": 2, "rng": 0, "loss": "cross_entropy"})),
    Target("BatchNorm", lambda: (ln.BatchNorm, {"n_units": 2, "eps": 1e-5, "momentum": 0.1,
                                                "rng": 0, "dtype": np.float64})),
    Target("BatchNorm.__call__", lambda: (ln.BatchNorm(2), {"x": np.ones((2, 2))})),
    Target("ActivationLayer", lambda: (ln.ActivationLayer, {"n_units": 2, "activation": "relu",
                                                            "rng": 0, "dtype": np.float64})),
    Target("ActivationLayer.__call__", lambda: (ln.ActivationLayer(2), {"x": np.ones((2, 2))})),
    Target("batchnorm_network", lambda: (ln.batchnorm_network, {
        "sizes": [2, 3, 1], "placement": "before", "activation": "relu", "output": "identity",
        "eps": 1e-5, "momentum": 0.1, "rng": 0, "dtype": np.float64, "init": "uniform"})),
    Target("layer_from_config", lambda: (layer_from_config, {
        "cfg": {"type": "Dense", "n_in": 2, "n_out": 3, "activation": {"name": "tanh"}}})),
    Target("Network", lambda: (ln.Network, {"layers": [2, 3, 1], "activation": "tanh",
                                            "output": "identity", "rng": 0,
                                            "dtype": np.float64, "init": "uniform"})),
    Target("Network.forward", lambda: (_net().forward, {"X": np.ones((2, 2))})),
    Target("Network.loss_and_grad", lambda: (_net().loss_and_grad, {
        "X": _xy()[0], "y": _xy()[1], "loss": "squared"})),
    Target("Network.backprop_trace", lambda: (_net().backprop_trace, {
        "X": _xy()[0], "y": _xy()[1], "loss": "squared"})),
    Target("Network.backward", lambda: (_forwarded().backward, {
        "grad_out": np.ones((2, 1)), "record": None})),
    Target("as_parameter_list", lambda: (as_parameter_list, {"params": [_param()]})),
    Target("Network.load_state_dict", lambda: (_net().load_state_dict, {
        "state": _net().state_dict()})),
    Target("Network.from_config", lambda: (ln.Network.from_config, {"cfg": _net().config()})),
    # -- losses
    *[Target(f"{cls.__name__}.__call__",
             lambda cls=cls, y=y: (cls(), {"a": np.array([[0.5], [-0.5]]), "y": y}),
             aliases={"a": ["output", "scores"]})
      for cls, y in ((ln.SquaredError, [1.0, 0.0]), (ln.AbsoluteError, [1.0, 0.0]),
                     (ln.EpsilonInsensitive, [1.0, 0.0]), (ln.LogisticLoss, [1, -1]),
                     (ln.HingeLoss, [1, -1]))],
    Target("SoftmaxCrossEntropy.__call__", lambda: (ln.SoftmaxCrossEntropy(), {
        "a": np.array([[0.5, 0.1], [-0.5, 0.2]]), "y": [0, 1]}),
        aliases={"a": ["output", "scores"]}),
    Target("SoftmaxCrossEntropy.probabilities", lambda: (ln.SoftmaxCrossEntropy().probabilities,
                                                         {"a": np.array([[0.5, 0.1]])}),
           aliases={"a": ["scores"]}),
    Target("EpsilonInsensitive", lambda: (ln.EpsilonInsensitive, {"c": 0.1})),
    Target("get_loss", lambda: (losses.get_loss, {"spec": "squared"})),
    # -- training
    Target("fit", lambda: (ln.fit, {"net": _net(), "X": _xy()[0], "y": _xy()[1],
                                    "loss": "squared", "epochs": 2, "batch_size": 2,
                                    "rng": 0, "metrics": ["mse"], "lr": 0.1,
                                    "shuffle": True})),
    Target("fit(progress)", lambda: (ln.fit, {"net": _net(), "X": _xy()[0], "y": _xy()[1],
                                              "loss": "squared", "epochs": 1,
                                              "progress": True, "file": open(os.devnull, "w")})),
    Target("fit(optimizer)", lambda: (_fit_with_optimizer, {"optimizer": None})),
    Target("fit(val)", lambda: (ln.fit, {"net": _net(), "X": _xy()[0], "y": _xy()[1],
                                         "loss": "squared", "epochs": 1,
                                         "X_val": _xy()[0], "y_val": _xy()[1]})),
    Target("evaluate", lambda: (ln.evaluate, {"net": _net(), "X": _xy()[0], "y": _xy()[1],
                                              "loss": "squared", "metrics": ["mse"]})),
    Target("sg_backprop", lambda: (ln.sg_backprop, {
        "net": _net(), "X": _xy()[0], "y": _xy()[1], "loss": "squared", "lr": 0.1,
        "lam": 0.5, "rng": 0, "tol": 1e-3, "patience": 2, "max_steps": 50})),
    # -- gradient checks
    Target("check_gradients", lambda: (ln.check_gradients, {
        "net": _net(), "X": _xy()[0], "y": _xy()[1], "loss": "squared", "eps": 1e-5,
        "params": None, "floor": 1e-4})),
    Target("check_grad", lambda: (gradcheck.check_grad, {
        "f": lambda v: float(np.sum(v ** 2)), "grad": lambda v: 2 * v,
        "x": np.array([1.0, 2.0]), "eps": 1e-5, "floor": 1e-4})),
    Target("numerical_gradient", lambda: (gradcheck.numerical_gradient, {
        "f": lambda v: float(np.sum(v ** 2)), "x": np.array([1.0, 2.0]), "eps": 1e-5})),
    Target("relative_error", lambda: (gradcheck.relative_error, {
        "a": np.array([1.0]), "b": np.array([1.0]), "floor": 1e-4})),
    Target("GradCheckReport.ok", lambda: (ln.check_gradients(
        _net(), *_xy(), "squared").ok, {"tol": 1e-6})),
    # -- optimizers
    *[Target(cls.__name__, lambda cls=cls: (cls, {"params": [_param()], "lr": 0.1}))
      for cls in (ln.SGD, ln.Momentum, ln.Nesterov, ln.RMSProp, ln.AdaDelta, ln.Adam,
                  ln.Nadam)],
    Target("Adam(kwargs)", lambda: (ln.Adam, {"params": [_param()], "lr": 0.1, "gamma": 0.9,
                                              "alpha": 0.999, "eps": 1e-8, "clip": 1.0,
                                              "weight_decay": 0.1, "decoupled": True})),
    Target("Nadam(kwargs)", lambda: (ln.Nadam, {"params": [_param()], "lr": 0.1,
                                                "schedule": 0.004, "ema": "scheduled",
                                                "variant": "paper"})),
    Target("SGD.step", lambda: (ln.SGD([_param()], lr=0.1).step, {"closure": None})),
    Target("Adam.load_state_dict", lambda: (ln.Adam([_param()], lr=0.1).load_state_dict, {
        "state": {"w": {"k": 0}}})),
    Target("clip_grad_norm", lambda: (ln.clip_grad_norm, {"params": [_param()],
                                                          "theta": 1.0})),
    Target("global_grad_norm", lambda: (optim.global_grad_norm, {"params": [_param()]})),
    # -- serialization
    Target("save", lambda: (ln.save, {"net": _net(), "path": os.path.join(_TMP, "s.npz")})),
    Target("load", lambda: (ln.load, {"path": _SAVED, "rng": 0})),
    Target("load_into", lambda: (ln.load_into, {"net": _net(), "path": _SAVED})),
    # -- chapter 1
    Target("Neuron", lambda: (ln.Neuron, {"w": [1.0, 1.0], "w0": 1.5,
                                          "activation": "threshold", "features": None})),
    Target("Neuron.__call__", lambda: (ln.Neuron([1.0, 1.0], 1.5), {"X": np.ones((2, 2))})),
    Target("heaviside", lambda: (neuron.heaviside, {"s": [0.5]})),
    Target("sigmoid", lambda: (neuron.sigmoid, {"s": [0.5]})),
    Target("Perceptron", lambda: (ln.Perceptron, {"eta": 1.0, "max_epochs": 10,
                                                  "shuffle": False, "detect_cycles": True})),
    Target("Perceptron.fit", lambda: (ln.Perceptron().fit, {
        "X": np.array([[0, 0], [1, 1]]), "y": [0, 1], "rng": 0})),
    Target("Perceptron.predict", lambda: (ln.Perceptron().fit(
        np.array([[0, 0], [1, 1]]), [0, 1]).predict, {"X": np.ones((2, 2))})),
    Target("novikoff_bound", lambda: (perceptron.novikoff_bound, {
        "X": np.array([[0.0, 0.0], [1.0, 1.0]]), "y": [0, 1], "u": [1.0, 1.0, 0.5]})),
    Target("max_margin_direction", lambda: (perceptron.max_margin_direction, {
        "X": np.array([[0.0, 0.0], [1.0, 1.0]]), "y": [0, 1], "tol": 1e-8,
        "max_iter": 1000})),
    Target("augment", lambda: (perceptron.augment, {"X": np.ones((2, 2))})),
    Target("as_signed_labels", lambda: (perceptron.as_signed_labels, {"y": [0, 1],
                                                                      "n_objects": 2})),
    Target("truth_table", lambda: (boolean.truth_table, {"f": lambda x: x[0] & x[1], "n": 2})),
    Target("truth_table_inputs", lambda: (boolean.truth_table_inputs, {"n": 2})),
    Target("as_truth_table", lambda: (boolean.as_truth_table, {
        "table_or_callable": [0, 1, 1, 0], "n": 2})),
    Target("compile_dnf", lambda: (ln.compile_dnf, {"table_or_callable": [0, 1, 1, 0],
                                                    "n": 2})),
    Target("ThresholdNetwork", lambda: (boolean.ThresholdNetwork, {
        "W": np.zeros((0, 2)), "b": [], "v": [], "v0": 0.5, "n_inputs": 2})),
    Target("ThresholdNetwork.__call__", lambda: (ln.xor_network(), {"X": np.ones((2, 2))})),
    Target("xor_features", lambda: (boolean.xor_features, {"X": np.ones((2, 2))})),
    # -- approximation (what a network can represent)
    Target("TwoLayerNetwork", lambda: (approximation.TwoLayerNetwork, {
        "alpha": [1.0, 2.0], "W": [[1.0], [2.0]], "w0": [0.0, 1.0], "activation": "sigmoid"})),
    Target("TwoLayerNetwork.__call__", lambda: (approximation.TwoLayerNetwork(
        [1.0, 2.0], [[1.0], [2.0]], [0.0, 1.0]), {"x": np.array([0.0, 0.5])})),
    Target("TwoLayerNetwork.hidden", lambda: (approximation.TwoLayerNetwork(
        [1.0, 2.0], [[1.0], [2.0]], [0.0, 1.0]).hidden, {"x": np.array([0.0, 0.5])})),
    Target("staircase", lambda: (approximation.staircase, {
        "f": np.sin, "H": 4, "steep": 40.0, "activation": "sigmoid", "interval": (0.0, 1.0)})),
    Target("staircase_error_bound", lambda: (approximation.staircase_error_bound, {
        "lipschitz": 1.0, "H": 4, "steep": 40.0, "activation": "sigmoid", "f0": 0.0,
        "variation": 1.0, "interval": (0.0, 1.0)})),
    Target("relu_interpolant", lambda: (approximation.relu_interpolant, {
        "knots": [0.0, 0.5, 1.0], "values": [0.0, 1.0, 0.0]})),
    Target("cosine_ridge_network", lambda: (approximation.cosine_ridge_network, {
        "f": lambda X: X[:, 0] * X[:, 1], "K": 1, "h": 1.0, "grid": 8})),
    Target("least_squares_output", lambda: (approximation.least_squares_output, {
        "W": [[1.0], [2.0]], "w0": [0.0, 1.0], "x": [0.0, 0.5, 1.0], "y": [0.0, 1.0, 0.0],
        "activation": "sigmoid"})),
    Target("uniform_error", lambda: (approximation.uniform_error, {
        "net": approximation.staircase(np.sin, 4), "f": np.sin, "interval": (0.0, 1.0),
        "n": 11})),
    Target("koppen_inner", lambda: (approximation.koppen_inner, {"k": 2, "n": 2,
                                                                 "gamma": 6})),
    # -- data
    Target("xor", lambda: (data.xor, {"n": 8, "noise": 0.1, "rng": 0, "labels": "01",
                                      "dtype": np.float64})),
    Target("two_moons", lambda: (data.two_moons, {"n": 8, "noise": 0.1, "rng": 0,
                                                  "labels": "01", "dtype": np.float64})),
    Target("circles", lambda: (data.circles, {"n": 8, "noise": 0.1, "factor": 0.5, "rng": 0,
                                              "labels": "01", "dtype": np.float64})),
    Target("spirals", lambda: (data.spirals, {"n": 8, "turns": 1.5, "noise": 0.1, "rng": 0,
                                              "labels": "01", "dtype": np.float64})),
    Target("train_test_split", lambda: (data.train_test_split, {
        "X": np.arange(20.0).reshape(10, 2), "y": np.arange(10) % 2, "test_size": 0.3,
        "rng": 0, "stratify": False})),
    Target("one_hot", lambda: (data.one_hot, {"y": [0, 2, 1], "n_classes": 3,
                                              "dtype": np.float64})),
    Target("load_digits", lambda: (data.load_digits, {"test_size": 0.25, "rng": 0,
                                                      "dtype": np.float64})),
    # -- test functions
    Target("rosenbrock", lambda: (testfunctions.rosenbrock, {"a": 1.0, "b": 100.0})),
    Target("ravine", lambda: (testfunctions.ravine, {"condition": 50.0})),
    Target("cliff", lambda: (testfunctions.cliff, {"height": 5.0, "steepness": 20.0})),
    Target("TestFunction.value", lambda: (testfunctions.ROSENBROCK.value, {"w": [0.0, 0.0]})),
    Target("TestFunction.parameter", lambda: (testfunctions.ROSENBROCK.parameter, {
        "start": [0.0, 0.0], "name": "w"})),
    Target("TestFunction.closure", lambda: (testfunctions.ROSENBROCK.closure, {
        "param": Parameter(np.zeros(2), name="w")})),
    Target("run_optimizer", lambda: (testfunctions.run_optimizer, {
        "fn": "rosenbrock", "make_optimizer": lambda p: ln.SGD(p, lr=1e-3), "n_steps": 3,
        "start": None})),
    # -- pruning (Optimal Brain Damage, Optimal Brain Surgeon)
    *[Target(f"pruning.{f}", lambda f=f, kw=kw: (getattr(pruning, f), {
        "net": _net(), "X": _xy()[0], "y": _xy()[1], "loss": "squared", **kw}))
      for f, kw in [("hessian_diagonal", {"approximation": "diagonal"}),
                    ("hessian_vector_product", {"v": {"layers.0.W": np.ones((3, 3))}}),
                    ("hessian", {}),
                    ("saliences", {"approximation": "levenberg-marquardt",
                                   "first_order": False}),
                    ("feature_saliences", {"approximation": "levenberg-marquardt"}),
                    ("deletion_curve", {"scores": "magnitude", "counts": [0, 1, 2]})]],
    *[Target(f"pruning.{f}", lambda f=f: (getattr(pruning, f), {"net": _net()}))
      for f in ("magnitudes", "count_weights")],
    Target("pruning.deletion_order", lambda: (pruning.deletion_order, {
        "net": _net(), "scores": pruning.magnitudes(_net())})),
    Target("pruning.prune", lambda: (pruning.prune, {
        "net": _net(), "scores": pruning.magnitudes(_net()), "n": 1, "per_layer": True})),
    Target("pruning.prune(fraction)", lambda: (pruning.prune, {
        "net": _net(), "scores": "magnitude", "fraction": 0.5})),
    Target("pruning.delete_features", lambda: (pruning.delete_features, {
        "net": _net(), "features": [1]})),
    Target("pruning.optimal_brain_damage", lambda: (pruning.optimal_brain_damage, {
        "net": _net(), "X": _xy()[0], "y": _xy()[1], "loss": "squared",
        "X_val": _xy()[0], "y_val": _xy()[1], "n": 1, "per_layer": True, "tol": 0.01,
        "max_rounds": 1, "approximation": "levenberg-marquardt", "pretrain": True,
        "epochs": 1, "lr": 0.01, "batch_size": 2, "rng": 0})),
    Target("pruning.optimal_brain_damage(train)", lambda: (pruning.optimal_brain_damage, {
        "net": _net(), "X": _xy()[0], "y": _xy()[1], "loss": "squared", "fraction": 0.2,
        "max_rounds": 1, "train": lambda net: None})),
    Target("pruning.obs_saliences", lambda: (pruning.obs_saliences, {
        "H": np.array([[2.0, 0.5], [0.5, 1.0]]), "w": np.array([1.0, -1.0]),
        "active": np.array([True, True])})),
    # -- parameters
    Target("Parameter", lambda: (Parameter, {"data": np.zeros(2), "name": "w"})),
    # -- KAN against an MLP (kan_compare)
    Target("bessel_j0", lambda: (kan_compare.bessel_j0, {"x": [0.0, 1.0], "n_intervals": 8})),
    Target("j0_trapezoid_intervals", lambda: (kan_compare.j0_trapezoid_intervals, {
        "x_max": 20.0, "tol": 1e-17})),
    Target("mlp_widths", lambda: (kan_compare.mlp_widths, {
        "n_in": 2, "n_out": 1, "depth": 2, "target": 50, "rtol": 0.2})),
    Target("compare", lambda: (kan_compare.compare, {
        "fn": "product", "grids": [3], "depths": (2,), "seeds": (0,), "steps": 1,
        "n_train": 10, "n_test": 5})),
]


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Timeout


def _from_numpy(exc: BaseException) -> bool:
    """True if the innermost frame of the traceback is inside NumPy (not lecturenn)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and f"{os.sep}numpy{os.sep}" in frames[-1].filename


def _short(value, width=70) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."


def classify(fn: Callable, kwargs: dict, arg: str, aliases: list[str]) -> tuple[str, str]:
    """Call ``fn(**kwargs)`` and sort the outcome (see the module docstring)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(**kwargs)
        except _Timeout:
            return "hang", "no return within 5 s"
        except (ValueError, TypeError, OSError) as exc:
            msg = f"{type(exc).__name__}: {exc}"
            if _from_numpy(exc):
                return "obscure", "from numpy: " + msg
            named = any(w in str(exc) for w in [arg, *aliases])
            return ("clear" if named else "vague"), msg
        except Exception as exc:  # noqa: BLE001 - sorting every outcome is the point
            return "obscure", f"{type(exc).__name__}: {exc}"
        finally:
            signal.alarm(0)
    note = ""
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if runtime:
        note = f" [RuntimeWarning: {runtime[0].message}]"
    return "accepted", _short(result) + note


def run(targets, show_all: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in targets:
        fn, base = t.make()
        for arg in list(base):
            for label, bad in BAD_VALUES.items():
                fn, base = t.make()  # a fresh object: a case may have changed the last one
                kwargs = dict(base, **{arg: bad})
                kind, text = classify(fn, kwargs, arg, t.aliases.get(arg, []))
                counts[kind] = counts.get(kind, 0) + 1
                if show_all or kind != "clear":
                    print(f"{kind:9s} {t.name}({arg}={label}): {text[:160]}")
    return counts


def uncovered() -> list[str]:
    """Public callables of the package's modules that no target names (for the report)."""
    names = {part for t in TARGETS for part in t.name.split("(")[0].split(".")}
    out = []
    for mod in ("activations", "approximation", "boolean", "data", "gradcheck",
                "init_diagnostics", "init_pretrain", "layers", "losses", "network", "neuron",
                "parameter", "perceptron", "pruning", "serialization", "testfunctions",
                "training", "optim"):
        m = importlib.import_module(f"lecturenn.{mod}")
        for name in m.__all__:
            obj = getattr(m, name)
            if not callable(obj) or name in names or name.isupper():
                continue
            try:
                takes = bool(inspect.signature(obj).parameters)
            except (TypeError, ValueError):
                takes = True
            if takes:  # a function of no arguments has no argument to get wrong
                out.append(f"lecturenn.{mod}.{name}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="print the clear cases too")
    ap.add_argument("--only", default="", help="only the targets whose name contains this")
    args = ap.parse_args(argv)
    np.seterr(all="warn")
    os.chdir(_TMP)  # a case such as save(path="abc") writes into the current folder
    targets = [t for t in TARGETS if args.only in t.name]
    counts = run(targets, args.all)
    total = sum(counts.values())
    print(f"\n{total} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    missing = uncovered()
    if missing:
        print("public names without a target:", ", ".join(missing))
    return 0 if math.isfinite(total) else 1


if __name__ == "__main__":
    sys.exit(main())
