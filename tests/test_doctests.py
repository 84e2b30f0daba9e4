"""The examples in the docstrings of the package run and print what they show."""

import doctest
import importlib

import pytest

# the modules whose docstrings hold examples
MODULES = ["activations", "activation_layer", "batchnorm", "boolean", "data", "gradcheck",
           "layers", "losses", "network",
           "neuron", "optim", "optim.sgd", "optim.momentum", "optim.combined", "optim.clipping",
           "optim.groups",
           "parameter", "perceptron",
           "splines",
           "kan",
           "optim.lbfgs",
           "training"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"lecturenn.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"lecturenn.{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of lecturenn.{name} failed"


def test_a_wrong_example_fails():
    """The check can fail: an example whose printed value is wrong is counted as failed."""
    def f():
        """
        >>> 1 + 1
        3
        """

    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    for test in finder.find(f, "f", globs={}):
        runner.run(test, out=lambda _: None)
    assert runner.failures == 1
