"""Bad input to the public API: a clear error that names what is wrong, nothing silent, no crash.

Issue 7, section 2. Every case asserts the exception type and a ``match=`` on the message:
the argument (or the file, the parameter) and what was expected. The families:

1. a damaged or untrusted weights file (``load`` is the one place where input is untrusted);
2. NaN and infinity getting past the checks (in the data, in the weights);
3. activations called directly;
4. a check that passes on nothing;
5. smaller ones: widths, data generators, ``one_hot``, ``fit`` validating before its first step;
6. what a probe of the whole API found (``tools/probe_bad_input.py``).
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import lecturenn as ln
from lecturenn import boolean, data, gradcheck, optim, perceptron, pruning, testfunctions
from lecturenn.activations import (
    ELU,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Tanh,
    get_activation,
)
from lecturenn.layers import Dense, Layer, layer_from_config, register_layer
from lecturenn.losses import LogisticLoss, SoftmaxCrossEntropy, SquaredError, get_loss
from lecturenn.network import Network
from lecturenn.parameter import Parameter
from lecturenn.serialization import ARCHITECTURE_KEY, load, load_into, register_model, save

NAN, INF = float("nan"), float("inf")
X4 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y4 = np.array([1.0, 1.0, 0.0, 0.0])


def _net(**kw):
    return Network([2, 3, 1], rng=0, **kw)


def _weights(net):
    return {k: v.copy() for k, v in net.state_dict().items()}


def _unchanged(net, before):
    return all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


# ============================================================ 1. damaged or untrusted files


@pytest.fixture
def saved(tmp_path):
    """A small network and the bytes of its file."""
    net = Network([2, 3, 1], activation="prelu", rng=0)
    path = save(net, tmp_path / "net.npz")
    return net, path, path.read_bytes()


def _name_of(path):
    return str(path).replace("\\", "\\\\").replace(".", r"\.")


def test_truncated_file_at_every_length_names_the_file(saved, tmp_path):
    _, _, raw = saved
    bad = tmp_path / "cut.npz"
    for n in range(len(raw)):
        bad.write_bytes(raw[:n])
        with pytest.raises(ValueError, match=rf"{_name_of(bad)}.* not a lecturenn weights "
                                             r"file .*or it is damaged"):
            load(bad)


def _member_data(raw: bytes) -> list[range]:
    """The byte ranges of the members' contents (the .npy headers and arrays) in an archive."""
    out = []
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        for info in zf.infolist():
            o = info.header_offset
            name_len, extra_len = (int.from_bytes(raw[o + k:o + k + 2], "little")
                                   for k in (26, 28))
            start = o + 30 + name_len + extra_len
            out.append(range(start, start + info.compress_size))
    return out


def test_every_flipped_byte_is_an_error_naming_the_file_or_changes_nothing(saved, tmp_path):
    """A flipped byte is caught (checksums, sizes, headers) or lies in a field of the zip
    format that nothing reads (a time stamp, the version that made it, a duplicated size);
    it never loads other weights and never escapes as another exception. Every byte of the
    stored arrays and of the architecture is protected."""
    net, _, raw = saved
    data_bytes = _member_data(raw)
    assert sum(len(r) for r in data_bytes) > len(raw) // 2
    bad = tmp_path / "flip.npz"
    for i in range(len(raw)):
        b = bytearray(raw)
        b[i] ^= 0xFF
        bad.write_bytes(bytes(b))
        try:
            again = load(bad)
        except ValueError as exc:
            assert str(bad) in str(exc), (i, str(exc))
            continue
        assert not any(i in r for r in data_bytes), f"byte {i} of a member changed nothing"
        assert repr(again) == repr(net), i
        for k, v in net.state_dict().items():
            np.testing.assert_array_equal(again.state_dict()[k], v, err_msg=f"byte {i}")


@pytest.mark.parametrize("content, what", [
    (b"", "the file is empty"),
    (b"not a zip archive at all", "it is not a zip archive"),
    (b"PK\x03\x04 but then nothing", "BadZipFile"),
])
def test_empty_or_foreign_file(tmp_path, content, what):
    bad = tmp_path / "w.npz"
    bad.write_bytes(content)
    for call in (lambda: load(bad), lambda: load_into(_net(), bad)):
        with pytest.raises(ValueError, match=rf"{_name_of(bad)}.*damaged: {what}"):
            call()


def test_npy_renamed_npz(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    (tmp_path / "a.npy").rename(tmp_path / "a.npz")
    with pytest.raises(ValueError, match=r"a\.npz.*it is an \.npy file \(one array"):
        load(tmp_path / "a.npz")


def test_pickled_member_is_refused(tmp_path):
    np.savez(tmp_path / "p.npz", **{"layers.0.W": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ValueError, match=r"p\.npz.*'layers\.0\.W' holds Python objects"):
        load_into(Network([2, 2], rng=0), tmp_path / "p.npz")


def _npy(arr=None, header=None, payload=b""):
    buf = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buf, arr, allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(payload)
    return buf.getvalue()


def _zip(path, members, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, content in members:
            zf.writestr(name, content)


def test_a_header_claiming_a_huge_array_is_not_allocated(tmp_path):
    """The .npy header says 10^6 x 10^6 float64 (8 TB); the member holds 72 bytes."""
    arch = _npy(np.array(json.dumps(Network([2, 2], rng=0).config())))
    lie = _npy(header={"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)},
               payload=np.zeros(9).tobytes())
    _zip(tmp_path / "lie.npz", [("layers.0.W.npy", lie), (ARCHITECTURE_KEY + ".npy", arch)])
    with pytest.raises(ValueError, match=r"lie\.npz.*'layers\.0\.W' claims shape "
                                         r"\(1000000, 1000000\) of float64 .* holds 72 bytes"):
        load(tmp_path / "lie.npz")


def test_a_deflated_member_claiming_more_than_deflate_can_hold(tmp_path):
    """The central directory says 2 GiB uncompressed for a member of a few hundred bytes."""
    arch = _npy(np.array(json.dumps(Network([2, 2], rng=0).config())))
    _zip(tmp_path / "z.npz", [(ARCHITECTURE_KEY + ".npy", arch)], method=zipfile.ZIP_DEFLATED)
    raw = bytearray((tmp_path / "z.npz").read_bytes())
    at = raw.index(b"PK\x01\x02") + 24  # the uncompressed size in the central directory
    raw[at:at + 4] = (2**31 - 1).to_bytes(4, "little")
    (tmp_path / "z.npz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"z\.npz.*'__architecture__' claims 2147483647 bytes, "
                                         r"more than the archive of \d+ bytes can hold"):
        load(tmp_path / "z.npz")


def test_archive_members_that_are_not_arrays(tmp_path):
    arch = _npy(np.array(json.dumps(Network([2, 2], rng=0).config())))
    _zip(tmp_path / "txt.npz", [("readme.txt", b"hello"), (ARCHITECTURE_KEY + ".npy", arch)])
    with pytest.raises(ValueError, match=r"the member 'readme\.txt' is not an \.npy array"):
        load(tmp_path / "txt.npz")
    with pytest.warns(UserWarning, match="Duplicate name"):
        _zip(tmp_path / "dup.npz", [(ARCHITECTURE_KEY + ".npy", arch)] * 2)
    with pytest.raises(ValueError, match=r"'__architecture__' is stored twice"):
        load(tmp_path / "dup.npz")
    _zip(tmp_path / "bz.npz", [(ARCHITECTURE_KEY + ".npy", arch)], method=zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match=r"compressed by method 12 \(only stored or deflated"):
        load(tmp_path / "bz.npz")


def test_a_deflated_archive_still_loads(tmp_path):
    net = _net()
    arrays = dict(net.state_dict(), **{ARCHITECTURE_KEY: np.array(json.dumps(net.config()))})
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    np.testing.assert_array_equal(load(tmp_path / "c.npz")(X4), net(X4))


def _with_record(tmp_path, net, mutate, arrays=None, name="r.npz"):
    cfg = json.loads(json.dumps(net.config()))
    mutate(cfg)
    stored = dict(net.state_dict() if arrays is None else arrays)
    stored[ARCHITECTURE_KEY] = np.array(json.dumps(cfg))
    np.savez(tmp_path / name, **stored)
    return tmp_path / name


def test_a_record_claiming_a_huge_layer_is_refused_before_anything_is_built(tmp_path):
    net = _net()

    def huge(cfg):
        cfg["layers"][0].update(n_in=100_000, n_out=100_000)

    with pytest.raises(ValueError, match=r"not valid \(nothing was built\).*layers\.0\.W: "
                                         r"shape \(3, 3\) in the file, \(100001, 100000\) in "
                                         r"the architecture"):
        load(_with_record(tmp_path, net, huge))

    def big(cfg):  # 72 MB if it were built: it is not
        cfg["layers"][0].update(n_in=3000, n_out=3000)
        cfg["layers"][1].update(n_in=3000)

    path = _with_record(tmp_path, net, big, name="big.npz")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"\(3001, 3000\) in the architecture"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, peak


def _set(path, value):
    def mutate(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


@pytest.mark.parametrize("mutate, exc_match", [
    (_set(("layers", 0, "W"), [[0.0]]), r"a Dense config has the entries .* got \['W'\] besides"),
    (_set(("layers", 0, "rng"), 5), r"got \['rng'\] besides"),
    (_set(("layers", 0, "n_in"), 2.0), r"n_in of Dense must be an int, got 2\.0"),
    (_set(("layers", 0, "n_in"), True), r"n_in of Dense must be an int, got True"),
    (_set(("layers", 0, "n_out"), -3), r"n_out of Dense must be >= 1, got -3"),
    (_set(("version",), 2), r"version 2; this lecturenn reads version 1"),
    (_set(("extra",), 1), r"the Network config has the entries .* got \['extra'\] besides"),
    (_set(("dtype",), 5), r"the config's dtype must be 'float32' or 'float64', got 5"),
    (_set(("dtype",), "int8"), r"the config's dtype must be float32 or float64, got int8"),
    (_set(("layers",), []), r"'layers' must be a non-empty list of layer configs"),
    (_set(("layers", 0, "type"), "Conv"), r"unknown layer type 'Conv'"),
    (_set(("layers", 0, "activation"), 7), r"activation of Dense must be a name .* got 7"),
    (_set(("layers", 0, "activation"), {"name": "leaky_relu", "beta": 3}),
     r"takes the arguments \['alpha'\], got \['beta'\]"),
    (_set(("layers", 0, "activation"), {"name": "prelu", "shared": "yes"}),
     r"shared of PReLU must be True or False, got 'yes'"),
    (_set(("layers", 0, "activation"), {"shared": False}),
     r"activation of Dense given as a dict needs a 'name' entry"),
    # ("orthogonal" is a name of lecturenn.init.INITS now)
    (_set(("layers", 0, "init"), "orthonormal"), r"unknown init 'orthonormal'"),
])
def test_an_invalid_record_names_its_entry_and_the_file(tmp_path, mutate, exc_match):
    net = Network([2, 3, 1], activation="prelu", rng=0)
    path = _with_record(tmp_path, net, mutate)
    with pytest.raises(ValueError, match=r"the architecture stored in .*r\.npz.* is not valid "
                                         r"\(nothing was built\): .*" + exc_match):
        load(path)


def test_a_record_whose_widths_do_not_chain(tmp_path):
    net = _net()
    arrays = dict(net.state_dict(), **{"layers.1.W": np.zeros((5, 1))})
    path = _with_record(tmp_path, net, _set(("layers", 1, "n_in"), 4), arrays)
    with pytest.raises(ValueError, match=r"not valid .*layer 1 .* expects input width 4, but "
                                         r"layer 0 .* outputs 3"):
        load(path)


@pytest.mark.parametrize("arch, match", [
    (np.array(1.5), r"its '__architecture__' entry must be a JSON string, got array of "
                    r"shape \(\) and dtype float64"),
    (np.array("[" * 100_000 + "]" * 100_000), r"is not valid JSON: RecursionError"),
    (np.array("{nope"), r"is not valid JSON: JSONDecodeError"),
    (np.array("[1]"), r"has the format None; known formats: \['lecturenn\.Network'\]"),
    (np.array('{"format": 5}'), r"has the format 5; known formats"),
])
def test_a_record_that_is_not_an_architecture(tmp_path, arch, match):
    np.savez(tmp_path / "a.npz", **dict(_net().state_dict(), **{ARCHITECTURE_KEY: arch}))
    with pytest.raises(ValueError, match=rf"a\.npz.*{match}"):
        load(tmp_path / "a.npz")


@pytest.mark.parametrize("change, match", [
    (lambda s: s.update({"layers.0.W": s["layers.0.W"].astype(np.float32)}),
     r"layers\.0\.W: dtype float32 in the file, float64 in the model"),
    (lambda s: s.update({"layers.0.W": s["layers.0.W"].astype(np.int64)}),
     r"layers\.0\.W: dtype int64 in the file"),
    (lambda s: s.update({"layers.0.W": s["layers.0.W"] + 1j}),
     r"layers\.0\.W: dtype complex128 in the file"),
    (lambda s: s["layers.0.W"].__setitem__((0, 0), np.nan),
     r"layers\.0\.W: holds NaN or infinity in the file"),
])
def test_stored_arrays_are_checked(tmp_path, change, match):
    net = _net()
    arrays = net.state_dict()
    change(arrays)
    path = _with_record(tmp_path, net, lambda cfg: None, arrays)
    with pytest.raises(ValueError, match=r"the weights file .*r\.npz.* does not match the model "
                                         r"\(nothing was loaded\): " + match):
        load(path)


def test_stored_arrays_missing_or_extra(tmp_path):
    net = _net()
    extra = dict(net.state_dict(), extra=np.zeros(2))
    with pytest.raises(ValueError, match=r"the arrays do not match it: not in the architecture: "
                                         r"\['extra'\]"):
        load(_with_record(tmp_path, net, lambda cfg: None, extra))
    missing = {"layers.0.W": net.state_dict()["layers.0.W"]}
    with pytest.raises(ValueError, match=r"missing in the file: \['layers\.1\.W'\]"):
        load(_with_record(tmp_path, net, lambda cfg: None, missing, name="m.npz"))


def test_paths_that_are_not_files(tmp_path):
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(IsADirectoryError):
        load(tmp_path / "dir.npz")
    with pytest.raises(FileNotFoundError, match=r"no weights file .*nothing\.npz"):
        load(tmp_path / "nothing")
    with pytest.raises(ValueError, match=r"path must name a file, got ''"):
        save(_net(), "")
    with pytest.raises(ValueError, match=r"path must name a file, got '.*/'"):
        save(_net(), str(tmp_path) + "/")
    with pytest.raises(FileNotFoundError):
        save(_net(), tmp_path / "no" / "such" / "w.npz")
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator or an int seed"):
        load(save(_net(), tmp_path / "ok.npz"), rng="x")  # the caller's error, not the file's


def test_registries_refuse_what_they_cannot_rebuild():
    with pytest.raises(TypeError, match=r"register_layer decorates a subclass of "
                                        r"lecturenn\.layers\.Layer, got 5"):
        register_layer(5)
    with pytest.raises(TypeError, match=r"fmt of register_model must be a non-empty str"):
        register_model(None)
    with pytest.raises(TypeError, match=r"register_model\('x'\) decorates a model class .* "
                                        r"without \['config', 'from_config'"):
        register_model("x")(type("NotAModel", (), {}))


# ============================================================ 2. NaN and infinity


def test_inf_in_X_is_named_by_the_checked_loss_and_grad():
    """tanh(inf) = 1 gives a finite loss and NaN gradients: the check must look at X itself."""
    net = _net()
    X = X4.copy()
    X[2, 1] = INF
    with pytest.raises(ValueError, match=r"X must be finite, got inf at index \(2, 1\)"):
        net.loss_and_grad(X, Y4, "squared")
    assert all(p.grad is None for p in net.parameters())  # nothing was computed


def test_nan_weight_is_named_by_forward_loss_and_grad_and_trace():
    net = _net()
    net.parameters()[1].data[2, 0] = NAN
    with pytest.raises(ValueError, match=r"parameter 'layers\.1\.W' holds nan at index "
                                         r"\(2, 0\), so the output of Network\.forward"):
        net(X4)
    with pytest.raises(ValueError, match=r"'layers\.1\.W' holds nan .*Network\.loss_and_grad"):
        net.loss_and_grad(X4, Y4, "squared")
    with pytest.raises(ValueError, match=r"'layers\.1\.W' holds nan .*Network\.forward_trace"):
        net.backprop_trace(X4, Y4, "squared")
    with pytest.raises(ValueError, match=r"'layers\.1\.W' holds nan .*Network\.evaluate"):
        ln.evaluate(net, X4, Y4, "squared")


def test_an_output_that_overflows_with_finite_weights_is_returned():
    """Not bad input: finite weights, finite data, a result beyond float64."""
    net = Network([Dense(1, 1, "identity", W=[[0.0], [1e300]])])
    with np.errstate(over="ignore"):
        assert net(np.array([[1e10]]))[0, 0] == INF


def test_fit_refuses_a_nan_weight_before_the_first_step():
    net = _net()
    net.parameters()[0].data[0, 1] = NAN
    before = _weights(net)
    with pytest.raises(ValueError, match=r"parameter 'layers\.0\.W' holds nan at index \(0, 1\): "
                                         r"fit needs finite weights"):
        ln.fit(net, X4, Y4, "squared", epochs=1)
    assert all(np.array_equal(before[k], v, equal_nan=True) for k, v in net.state_dict().items())
    with pytest.raises(ValueError, match=r"'layers\.0\.W' holds nan .*: sg_backprop needs finite"):
        ln.sg_backprop(net, X4, Y4, "squared", max_steps=3)
    with pytest.raises(ValueError, match=r"'layers\.0\.W' holds nan .*: check_gradients needs"):
        ln.check_gradients(net, X4, Y4, "squared")


def test_training_that_diverges_names_the_parameter_and_the_learning_rate():
    """Step 1: Q = 5e299 is finite, the gradient 1e300 times lr = 1e10 overflows w to -inf;
    step 2: the loss is not finite, and the weight that diverged is named."""
    X, y = np.array([[1e150]]), np.array([0.0])

    def linear():
        return Network([Dense(1, 1, "identity", W=[[0.0], [1.0]])])

    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(
            FloatingPointError, match=r"the loss became (inf|nan) at epoch 2, step 1 \(steps "
                                      r"counted from 1 within the epoch\): parameter "
                                      r"'layers\.0\.W' holds -inf at index \(1, 0\); the steps "
                                      r"diverged: lower the learning rate"):
        ln.fit(linear(), X, y, "squared", lr=1e10, epochs=3)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(
            FloatingPointError, match=r"the loss became (inf|nan) at step 2 \(object 0\): "
                                      r"parameter 'layers\.0\.W' holds -inf .* lower the "
                                      r"learning rate"):
        ln.sg_backprop(linear(), X, y, "squared", lr=1e10, max_steps=3, patience=3)
    # a loss that overflows with finite weights says so without naming a parameter
    with pytest.raises(FloatingPointError, match=r"the loss became inf at epoch 1, step 1 "
                                                 r"\(steps counted from 1 within the epoch\); "
                                                 r"the steps diverged"):
        ln.fit(linear(), np.array([[1e200]]), y, "squared", epochs=1)


def test_an_optimizer_checks_the_weights_at_its_first_step():
    w = Parameter(np.array([1.0, 2.0]), name="w")
    w.grad = np.zeros(2)
    w.data[1] = NAN
    for opt in (ln.SGD([w], lr=0.1), ln.Adam([w]), ln.Nesterov([w], lr=0.1)):
        with pytest.raises(ValueError, match=rf"parameter 'w' holds nan at index \(1,\): "
                                             rf"{type(opt).__name__}\.step needs finite weights"):
            opt.step(lambda: 0.0)
        assert opt.k == 0


def test_a_nonfinite_gradient_names_the_weight_that_caused_it():
    """An infinite weight of a hidden tanh layer gives a finite loss (tanh(inf) = 1) and a NaN
    gradient of the layer below (z = 0 times the infinite weight)."""
    net = Network([2, 3, 3, 1], rng=0)
    opt = ln.SGD(net.parameters(), lr=0.1)
    opt.step(lambda: net.loss_and_grad(X4, Y4, "squared"))  # the first step checks the weights
    net.parameters()[1].data[1, 0] = INF
    with np.errstate(invalid="ignore"):  # 0 * inf in the backward pass
        loss = net.loss_and_grad(X4, Y4, "squared")
    assert np.isfinite(loss) and np.isnan(net.parameters()[0].grad).any()
    before = _weights(net)
    with pytest.raises(optim.NonFiniteGradientError,
                       match=r"gradient of parameter 0 \('layers\.0\.W'\) is not finite at step "
                             r"2: nan at index .*; parameter 'layers\.1\.W' holds inf at index "
                             r"\(1, 0\), which makes the gradients non-finite; no parameter was "
                             r"changed"):
        opt.step()
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


def test_a_neuron_with_a_nonfinite_weight_is_an_error():
    """The threshold activation refuses the non-finite score (not silent, names the score)."""
    neuron = ln.and_neuron()
    neuron.w.data[1] = NAN
    with pytest.raises(ValueError, match=r"s must be finite, got nan at index \(0,\)"):
        neuron(np.array([[0, 1], [1, 1]]))


def test_the_checked_losses_refuse_a_nonfinite_output():
    for loss, y in ((SquaredError(), [1.0]), (LogisticLoss(), [1]), (SoftmaxCrossEntropy(), [0])):
        a = np.array([[NAN, 0.0]]) if isinstance(loss, SoftmaxCrossEntropy) else np.array([[INF]])
        for call in (loss, loss.value, loss.grad):
            with pytest.raises(ValueError, match=r"a \(the network output\) must be finite"):
                call(a, y)


def test_numerical_gradient_refuses_a_nonfinite_point():
    with pytest.raises(ValueError, match=r"x must be finite, got nan at index \(1,\)"):
        gradcheck.numerical_gradient(lambda v: float(v.sum()), np.array([0.0, NAN]))


# ============================================================ 3. activations called directly


def test_leaky_relu_and_prelu_keep_their_slopes_on_integer_input():
    np.testing.assert_array_equal(LeakyReLU(0.1)(np.array([-5, 3])), [-0.5, 3.0])
    np.testing.assert_array_equal(PReLU(2)(np.array([[-5, 3]])), [[-1.25, 3.0]])
    # the unchecked value() too: the root was the slope cast to the input's dtype
    np.testing.assert_array_equal(LeakyReLU(0.1).value(np.array([-5, 3])), [-0.5, 3.0])
    np.testing.assert_array_equal(PReLU(2).value(np.array([[-5, 3]])), [[-1.25, 3.0]])
    assert LeakyReLU(0.1)(np.array([-5, 3], dtype=np.float32)).dtype == np.float32


ACTIVATIONS = [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), SiLU(), PReLU(2), ELU()]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: type(a).__name__)
@pytest.mark.parametrize("s, exc, match", [
    (np.array([[1 + 2j, 0.0]]), TypeError, r"must be a real numeric array, got array of shape "
                                           r"\(1, 2\) and dtype complex128"),
    ("ab", TypeError, r"must be a real numeric array, got 'ab' \(dtype <U2\)"),
    (None, TypeError, r"must be a real numeric array, got None \(dtype object\)"),
    ([[1.0], [1.0, 2.0]], TypeError, r"must be a numeric array \(rows of equal length\)"),
    (np.array([[NAN, 1.0]]), ValueError, r"must be finite, got nan at index \(0, 0\)"),
    (np.array([[1.0, -INF]]), ValueError, r"must be finite, got -inf at index \(0, 1\)"),
])
def test_activation_calls_check_their_input(act, s, exc, match):
    with pytest.raises(exc, match=r"s \(the input of .*\) " + match):
        act(s)


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: type(a).__name__)
def test_activation_calls_convert_integers_and_booleans_to_float(act):
    out = act(np.array([[True, False]]))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, act(np.array([[1.0, 0.0]])))


def test_prelu_needs_one_column_per_neuron():
    with pytest.raises(ValueError, match=r"must have one column per neuron, shape \(\.\.\., 2\), "
                                         r"got \(3,\)"):
        PReLU(2)(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\), got \(\)"):
        PReLU(2)(1.0)
    np.testing.assert_array_equal(PReLU(2, shared=True)(np.array([-4.0, 4.0, -8.0])),
                                  [-1.0, 4.0, -2.0])


def test_get_activation_checks_its_arguments():
    with pytest.raises(ValueError, match=r"n_units \(the layer width\) must be >= 1, got 0"):
        get_activation("tanh", n_units=0)
    with pytest.raises(TypeError, match=r"n_units \(the layer width\) must be an int, got 2\.5"):
        get_activation("tanh", n_units=2.5)
    with pytest.raises(TypeError, match=r"activation \{'name': 'leaky_relu', 'beta': 1\} takes "
                                        r"the arguments \['alpha'\], got \['beta'\]"):
        get_activation({"name": "leaky_relu", "beta": 1})
    with pytest.raises(TypeError, match=r"takes the arguments \['alpha', 'shared'\], got "
                                        r"\['n_units'\] \(n_units, dtype are set by the caller\)"):
        get_activation({"name": "prelu", "n_units": 3}, n_units=2)
    with pytest.raises(ValueError, match=r"activation given as a dict needs a 'name' entry"):
        get_activation({"alpha": 0.1})
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got int64"):
        get_activation("prelu", n_units=2, dtype=np.int64)


def test_network_names_the_output_argument():
    with pytest.raises(ValueError, match=r"unknown activation 'softmax' for output; expected"):
        Network([2, 3, 1], output="softmax")
    with pytest.raises(TypeError, match=r"output must be a name .* got 3"):
        Network([2, 3, 1], output=3)
    with pytest.raises(ValueError, match=r"unknown activation 'tahn'; expected"):
        Network([2, 3, 1], activation="tahn")


# ============================================================ 4. a check that passes on nothing


class _NoParams(Layer):
    """A parameter-free layer (the identity), for a model with nothing to check."""

    def __init__(self, n):
        self.n_in = self.n_out = n

    def forward(self, x, train=False):
        return x

    def backward(self, grad_out, need_input_grad=True):
        return grad_out


def test_checking_zero_parameters_is_an_error_not_a_pass():
    net = _net()
    with pytest.raises(ValueError, match=r"params is empty: check_gradients has no parameter to "
                                         r"check, and checking nothing is not a pass"):
        ln.check_gradients(net, X4, Y4, "squared", params=[])
    with pytest.raises(ValueError, match=r"params is empty"):
        ln.check_gradients(Network([_NoParams(2)]), X4, np.zeros((4, 2)), "squared")
    with pytest.raises(ValueError, match=r"the report holds no parameter"):
        gradcheck.GradCheckReport().ok()
    report = ln.check_gradients(net, X4, Y4, "squared")
    report.errors["layers.0.W"] = NAN  # a NaN error is not below any tolerance
    assert report.ok() is False and np.isnan(report.max_error)


@pytest.mark.parametrize("params, exc, match", [
    (5, TypeError, r"params must be a parameter name or a list of names, got 5"),
    ([1], TypeError, r"params must be a parameter name or a list of names, got \[1\]"),
    (np.array(["layers.0.W"]), TypeError, r"params must be a parameter name or a list"),
    (["layers.0.w"], ValueError, r"unknown parameter names \['layers\.0\.w'\]; the model has"),
])
def test_check_gradients_params_argument(params, exc, match):
    with pytest.raises(exc, match=match):
        ln.check_gradients(_net(), X4, Y4, "squared", params=params)


def test_check_gradients_and_check_grad_need_callables_and_a_model():
    with pytest.raises(TypeError, match=r"net of check_gradients must be a model with "
                                        r"parameters\(\), loss_and_grad.* got None without"):
        ln.check_gradients(None, X4, Y4, "squared")
    with pytest.raises(TypeError, match=r"grad must be a callable grad\(x\) -> array"):
        gradcheck.check_grad(lambda v: 0.0, None, np.zeros(2))
    with pytest.raises(TypeError, match=r"f must be a callable f\(x\) -> float, got 3"):
        gradcheck.check_grad(3, lambda v: v, np.zeros(2))


# ============================================================ 5. smaller ones


def test_threshold_network_n_inputs():
    with pytest.raises(TypeError, match=r"n_inputs must be an int, got 2\.7"):
        boolean.ThresholdNetwork(np.zeros((0, 0)), [], [], 0.5, n_inputs=2.7)
    with pytest.raises(ValueError, match=r"n_inputs must be >= 1, got 0"):
        boolean.ThresholdNetwork(np.zeros((0, 0)), [], [], 0.5, n_inputs=0)
    with pytest.raises(ValueError, match=r"n_inputs=3, but W of shape \(0, 2\) has 2 columns"):
        boolean.ThresholdNetwork(np.zeros((0, 2)), [], [], 0.5, n_inputs=3)
    with pytest.raises(ValueError, match=r"W of shape \(0, 0\) has no columns: a network needs "
                                         r"at least one input \(give n_inputs"):
        boolean.ThresholdNetwork(np.zeros((0, 0)), [], [], 0.5)
    assert boolean.ThresholdNetwork(np.zeros((0, 0)), [], [], -0.5, n_inputs=2).n_inputs == 2


@pytest.mark.parametrize("make, match", [
    (lambda: data.two_moons(noise=1e308), r"noise=1e\+308 gives points that are not finite in "
                                          r"float64"),
    (lambda: data.xor(noise=1e308), r"noise=1e\+308 gives points that are not finite"),
    (lambda: data.circles(noise=1e308), r"noise=1e\+308 gives points that are not finite"),
    (lambda: data.spirals(noise=1e308), r"noise=1e\+308 gives points that are not finite"),
    (lambda: data.two_moons(noise=1e39, dtype=np.float32),
     r"noise=1e\+39 gives points that are not finite in float32"),
    (lambda: data.spirals(turns=1e308), r"turns must be <= MAX_TURNS = 1e\+06, got 1e\+308"),
    (lambda: data.spirals(turns=1e15), r"turns must be <= MAX_TURNS .* the spiral is noise"),
])
def test_data_generators_refuse_parameters_that_give_garbage(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("dtype", [str, object, complex, [("a", "f8")], "abc", {"a": 1}])
def test_one_hot_needs_a_numeric_dtype(dtype):
    with pytest.raises(TypeError, match=r"dtype must be a numeric dtype \(bool, an integer or a "
                                        r"float type\)"):
        data.one_hot([0, 1], dtype=dtype)


def test_one_hot_numeric_dtypes_are_fine():
    for dtype in (bool, np.int8, np.float32):
        out = data.one_hot([0, 1], dtype=dtype)
        assert out.dtype == dtype and out.sum() == 2


def test_fit_file_is_checked_before_the_first_step():
    net = _net()
    before = _weights(net)
    with pytest.raises(TypeError, match=r"file must be a file-like object with a write\(\) "
                                        r"method .* got 123"):
        ln.fit(net, X4, Y4, "squared", epochs=2, progress=True, file=123)
    with pytest.raises(TypeError, match=r"file must be a file-like object .* got 'log\.txt'"):
        ln.fit(net, X4, Y4, "squared", epochs=2, file="log.txt")
    assert _unchanged(net, before)
    out = io.StringIO()
    ln.fit(net, X4, Y4, "squared", epochs=2, progress=True, file=out)
    assert out.getvalue().count("epoch") == 2


def test_fit_metric_mismatch_is_found_before_the_first_step():
    net = _net()
    before = _weights(net)
    with pytest.raises(ValueError, match=r"metric 'accuracy' needs a classification loss "
                                         r"\(margin or multiclass\), got SquaredError"):
        ln.fit(net, X4, Y4, "squared", epochs=2, metrics=["accuracy"])
    with pytest.raises(ValueError, match=r"metric 'err' needs a regression loss, got "
                                         r"LogisticLoss"):
        ln.fit(net, X4, 2 * Y4 - 1, "logistic", epochs=2, metrics={"err": "mse"})
    with pytest.raises(ValueError, match=r"metric 'mse' needs a regression loss"):
        ln.evaluate(net, X4, 2 * Y4 - 1, "logistic", metrics=["mse"])

    def broken(out, y, loss):
        raise ZeroDivisionError("the user's metric fails")

    with pytest.raises(ZeroDivisionError, match="the user's metric fails"):
        ln.fit(net, X4, Y4, "squared", epochs=2, metrics=[broken])
    with pytest.raises(TypeError, match=r"the value of metric 'text' must be a real number, got "
                                        r"'good'"):
        ln.fit(net, X4, Y4, "squared", epochs=2, metrics={"text": lambda o, y, loss: "good"})
    assert _unchanged(net, before)


def test_fit_lr_together_with_an_optimizer_is_an_error():
    net = _net()
    before = _weights(net)
    with pytest.raises(ValueError, match=r"lr=0\.5 is the learning rate of fit's default SGD, "
                                         r"but an optimizer was given .* which has its own"):
        ln.fit(net, X4, Y4, "squared", optimizer=ln.Adam(net.parameters()), lr=0.5)
    assert _unchanged(net, before)
    hist = ln.fit(net, X4, Y4, "squared", epochs=1)  # lr=None: the default 0.1
    assert hist.steps == 1


def test_fit_validation_targets_are_named():
    with pytest.raises(ValueError, match=r"y_val has 3 objects but the network output has 4"):
        ln.fit(_net(), X4, Y4, "squared", X_val=X4, y_val=Y4[:3])
    with pytest.raises(TypeError, match=r"y_val must be a real numeric array"):
        ln.fit(_net(), X4, Y4, "squared", X_val=X4, y_val=["a"] * 4)
    with pytest.raises(ValueError, match=r"class label y_val\[1\] = 7 is out of range"):
        ln.fit(Network([2, 3, 2], rng=0), X4, [0, 1, 1, 0], "cross_entropy", X_val=X4,
               y_val=[0, 7, 1, 0])


# ============================================================ 6. found by the probe


@pytest.mark.parametrize("call, exc, match", [
    # networks and layers
    (lambda: Network(np.array(3)), TypeError, r"layers must be a list of widths or of Layer "
                                              r"objects, got array of shape \(\)"),
    (lambda: Network("234"), TypeError, r"layers must be a list of widths"),
    (lambda: Network([2, 0, 1]), ValueError, r"layers\[1\] \(the width H_1\) must be >= 1, got 0"),
    (lambda: Network([2, 3, 1], dtype="int8"), TypeError, r"dtype must be float32 or float64"),
    (lambda: layer_from_config({"type": "Dense", "n_in": 2, "n_out": 1, "rng": 3}), ValueError,
     r"sets 'rng', which is an argument of layer_from_config"),
    (lambda: Dense.from_config({"n_in": 2, "n_out": 1, "W": [[0.0]] * 3}), ValueError,
     r"a Dense config has the entries \['n_in', 'n_out', 'activation', 'init'\], got \['W'\]"),
    (lambda: Network.from_config({**_net().config(), "version": "1"}), ValueError,
     r"the Network config has version '1'; this lecturenn reads version 1"),
    # losses
    (lambda: get_loss({"name": "squared", "c": 1}), TypeError,
     r"loss \{'name': 'squared', 'c': 1\} takes the arguments \[\], got \['c'\]"),
    (lambda: get_loss({"c": 1}), ValueError, r"loss given as a dict needs a 'name' entry"),
    (lambda: SquaredError()(np.zeros((2, 1)), [[1.0], [1.0, 2.0]]), TypeError,
     r"y must be a numeric array \(rows of equal length\)"),
    # optimizers
    (lambda: ln.Nadam([Parameter(np.zeros(2), name="w")], ema=np.array(["a", "b"])), TypeError,
     r"ema must be one of \('scheduled', 'constant'\), got array of shape \(2,\)"),
    (lambda: ln.Nesterov([Parameter(np.zeros(2), name="w")], lr=0.1, form=None), TypeError,
     r"form must be one of \('lookahead', 'reparametrized'\), got None"),
    (lambda: Parameter(np.zeros(2), name=1), TypeError,
     r"name of Parameter must be a str, got 1"),
    # chapter 1
    (lambda: perceptron.as_signed_labels([0, 1], n_objects=2.5), TypeError,
     r"n_objects must be an int, got 2\.5"),
    (lambda: perceptron.as_signed_labels([0, 1], n_objects=np.array([2, 2])), TypeError,
     r"n_objects must be an int, got array of shape \(2,\)"),
    # data
    (lambda: data.train_test_split([[1.0], [1.0, 2.0]], [0, 1]), TypeError,
     r"X must be an array \(rows of equal length\)"),
    (lambda: data.load_digits(dtype={"a": 1}), TypeError,
     r"dtype must be float64 or float32, got \{'a': 1\}"),
    # test functions
    (lambda: testfunctions.ROSENBROCK.parameter(name=0), TypeError,
     r"name of Parameter must be a str, got 0"),
    (lambda: testfunctions.run_optimizer("rosenbrock", lambda p: None, 3), TypeError,
     r"make_optimizer must return an optimizer \(with step\(closure\)\), got None"),
])
def test_found_by_the_probe(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def _obd(**kw):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    args = {"n": 1, "max_rounds": 1, "epochs": 1, "batch_size": 2, **kw}
    return pruning.optimal_brain_damage(_net(), X, [1.0, 1.0, 0.0, 0.0], "squared", **args)


_H2, _W2 = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0])


@pytest.mark.parametrize("call, exc, match", [
    # the held-out set is named as such, not as X
    (lambda: _obd(X_val=np.ones((4, 3)), y_val=[0.0] * 4), ValueError,
     r"X_val of layer 0 \(Dense\(2, 3, .*\)\) must have shape \(n, 2\), got \(4, 3\)"),
    (lambda: _obd(X_val="abc", y_val=[0.0]), TypeError, r"X_val must be a real numeric array"),
    (lambda: _obd(X_val=[[np.nan, 1.0]], y_val=[0.0]), ValueError,
     r"X_val must be finite, got nan at index \(0, 0\)"),
    # the seed of the default trainer: numpy's own errors before, None silently unseeded
    (lambda: _obd(rng=None), TypeError, r"rng must be a numpy.random.Generator or an int seed, "
                                        r"got None"),
    (lambda: _obd(rng=True), TypeError, r"rng must be a numpy.random.Generator or an int seed"),
    (lambda: _obd(rng=[]), TypeError, r"rng must be a numpy.random.Generator or an int seed"),
    (lambda: _obd(rng=-1), ValueError, r"rng seed must be a non-negative integer, got -1"),
    (lambda: _obd(rng=2.7, train=lambda net: None), TypeError, r"rng must be"),
    # ragged lists: numpy's "inhomogeneous shape" before
    (lambda: pruning.deletion_curve(_net(), np.ones((2, 2)), [0.0, 1.0], "squared",
                                    "magnitude", counts=[[1], [1, 2]]), TypeError,
     r"counts must be a 1-d array of integers, got \[\[1\], \[1, 2\]\]"),
    (lambda: pruning.delete_features(_net(), [[1], [1, 2]]), TypeError,
     r"features must be integer column indices, got \[\[1\], \[1, 2\]\]"),
    (lambda: pruning.obs_saliences(_H2, _W2, active=[[True], [True, False]]), TypeError,
     r"active must be a Boolean array of shape \(2,\), got \[\[True\], \[True, False\]\]"),
    # H and w: numpy's "could not convert string to float" and "float() argument" before,
    # a complex H silently cast to its real part
    (lambda: pruning.obs_saliences("abc", _W2), TypeError, r"H must be a real numeric array"),
    (lambda: pruning.obs_saliences(_H2 + 1j, _W2), TypeError,
     r"H must be a real numeric array, got array of shape \(2, 2\) and dtype complex128"),
    (lambda: pruning.obs_saliences(_H2, {"a": 1}), TypeError, r"w must be a real numeric array"),
    (lambda: pruning.obs_saliences(_H2, [np.inf, 1.0]), ValueError,
     r"w must be finite, got inf at index \(0,\)"),
    (lambda: pruning.obs_saliences([[np.nan, 0.0], [0.0, 1.0]], _W2), ValueError,
     r"H must be finite, got nan at index \(0, 0\)"),
])
def test_pruning_found_by_the_probe(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_pruning_bad_input_still_accepted_where_it_is_valid():
    """What the probe lists as accepted and is right: integer H, no feature, a Boolean list."""
    L, _ = pruning.obs_saliences(np.array([[2, 0], [0, 1]]), [1, 1], active=[True, False])
    assert L[0] == pytest.approx(1.0, rel=1e-12) and L[1] == np.inf  # w^2/(2 [H^-1]_qq), 1/1
    net = _net()
    pruning.delete_features(net, [])
    assert net.layers[0].W.mask is None
    with pytest.raises(TypeError, match="features must be integer"):
        pruning.delete_features(net, [True])  # a Boolean is not an index
    with pytest.raises(TypeError, match="counts must be a 1-d array of integers"):
        pruning.deletion_curve(net, np.ones((2, 2)), [0.0, 1.0], "squared", "magnitude",
                               counts=[True, True])


def test_the_training_hot_path_stays_unchecked_on_purpose():
    """``check=False`` (fit's closure) trusts its input: the data set was checked once."""
    net = _net()
    X = X4.copy()
    X[0, 0] = NAN
    assert np.isnan(net.loss_and_grad(X, Y4.reshape(-1, 1), SquaredError(), check=False))


# the derivations (SymPy) take sizes and counts too; a bad one is named, never a SymPy or
# itertools error, and a check over no case (n_points=0) is an error, not a pass
@pytest.mark.parametrize("call, exc, match", [
    (lambda N, B, L, O: N.truth_table_rows(-1), ValueError,
     r"n \(the number of variables\) must be >= 0, got -1"),
    (lambda N, B, L, O: N.weight_symbols(2.5), TypeError,
     r"n \(the number of variables\) must be an int, got 2\.5"),
    (lambda N, B, L, O: N.threshold_function_count(5), ValueError,
     r"n \(the number of variables\) must be <= 4 here, got 5"),
    (lambda N, B, L, O: N.threshold_weights("abcd", 2), TypeError,
     r"table must be a real numeric array, got 'abcd'"),
    (lambda N, B, L, O: N.check_neuron_exact([NAN, 1], 0.5, [0, 1, 1, 1], 2), ValueError,
     r"w and w0 must be finite real numbers, got w=\[nan, 1\]"),
    (lambda N, B, L, O: N.dnf_minterm_neuron([0, 2]), ValueError,
     r"r \(a row of the truth table\) must be Boolean .* got 2 at index \(1,\)"),
    (lambda N, B, L, O: B.symbolic_network((2,)), ValueError,
     r"sizes must hold at least two widths \(H_0, H_1\), got \(2,\)"),
    (lambda N, B, L, O: B.symbolic_network((2, 1.5, 1)), TypeError,
     r"sizes\[1\] must be an int, got 1\.5"),
    (lambda N, B, L, O: B.dim_w([2, -3, 1]), ValueError, r"sizes\[1\] must be >= 1, got -3"),
    (lambda N, B, L, O: B.count_backprop_ops([2, 0, 1]), ValueError,
     r"sizes\[1\] must be >= 1, got 0"),
    (lambda N, B, L, O: B.cost_orders(0), ValueError,
     r"L \(the number of layers\) must be >= 1, got 0"),
    (lambda N, B, L, O: B.compare_with_lecturenn(0), ValueError, r"n_points must be >= 1, got 0"),
    (lambda N, B, L, O: B.lambdify_gradient(method="numeric"), ValueError,
     r"method must be one of \('direct', 'recurrence'\), got 'numeric'"),
    (lambda N, B, L, O: L.check_loss_derivative("mse"), ValueError,
     r"name must be one of \('squared', .*\), got 'mse'"),
    (lambda N, B, L, O: L.check_softmax_cross_entropy_gradient(1), ValueError,
     r"M \(the number of classes\) must be >= 2, got 1"),
    (lambda N, B, L, O: O.scheduled_ema_weights(0), ValueError,
     r"n \(the number of steps\) must be >= 1, got 0"),
    (lambda N, B, L, O: O.clipping_properties(0), ValueError,
     r"n \(the dimension\) must be >= 1, got 0"),
])
def test_derivations_name_a_bad_size(call, exc, match):
    from lecturenn.derivations import backprop, losses, neurons, optimizers

    with pytest.raises(exc, match=match):
        call(neurons, backprop, losses, optimizers)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"resolution": 2.7}, TypeError, r"resolution must be an int, got 2\.7"),
    ({"resolution": 1}, ValueError, r"resolution must be >= 2, got 1"),
    ({"xlim": (0.0, NAN)}, ValueError, r"xlim\[1\] must be finite, got nan"),
    ({"xlim": (1.0, 0.0)}, ValueError, r"xlim must have low < high, got \(1\.0, 0\.0\)"),
    ({"ylim": 5}, TypeError, r"ylim must be a pair \(low, high\) of numbers, got 5"),
])
def test_plotting_grid_arguments(kwargs, exc, match):
    from lecturenn.plotting import grid_points

    args = {"xlim": (0.0, 1.0), "ylim": (0.0, 1.0), "resolution": 5, **kwargs}
    with pytest.raises(exc, match=match):
        grid_points(**args)


def test_plot_decision_regions_checks_predict_and_the_objects():
    import matplotlib.pyplot as plt

    from lecturenn.plotting import plot_decision_regions

    fig, ax = plt.subplots()
    try:
        with pytest.raises(TypeError, match=r"predict must be a callable mapping points"):
            plot_decision_regions(ax, None)
        with pytest.raises(ValueError, match=r"predict\(points\) must give one score per point, "
                                             r"shape \(25,\), got \(1,\)"):
            plot_decision_regions(ax, lambda P: np.zeros(1), resolution=5)
        with pytest.raises(ValueError, match=r"X must have shape \(n, 2\) and y shape \(n,\), got "
                                             r"X \(4, 2\) and y \(3,\)"):
            plot_decision_regions(ax, lambda P: P.sum(axis=1), X4, Y4[:3], resolution=5)
    finally:
        plt.close(fig)


# what the probe found in lecturenn.approximation (tools/probe_bad_input.py --only staircase,
# least_squares, uniform_error, koppen, ...): an error from inside NumPy, errors naming the
# wrong argument, a wrong maximum returned silently, an unbounded allocation
@pytest.mark.parametrize("call, exc, match", [
    (lambda: ln.approximation.least_squares_output([[1.0]], [[1.0], [1.0, 2.0]], [0.0], [1.0]),
     TypeError, r"w0 must be a numeric array \(rows of equal length\)"),
    (lambda: ln.approximation.least_squares_output([[1.0]], [], [0.0], [1.0]),
     ValueError, r"w0 must not be empty"),
    (lambda: ln.approximation.least_squares_output([[1, 0], [0, 1]], [0.0, 1.0], [0.0], [1.0]),
     ValueError, r"x must have shape \(m, 2\) for a network with 2 inputs \(W has 2 columns\)"),
    (lambda: ln.approximation.uniform_error(lambda x: x[:, None], np.sin, n=5),
     ValueError, r"net\(x\) must return an array of shape \(5,\) for x of shape \(5,\), got "
                 r"shape \(5, 1\)"),
    (lambda: ln.approximation.koppen_inner(6, gamma=1000),
     ValueError, r"gamma\^k must be <= 10\^6 points, got gamma = 1000, k = 6"),
])
def test_approximation_found_by_the_probe(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# -- the initialisation chapter: what tools/probe_bad_input.py found in init_pretrain and
# -- init_diagnostics (messages that named "X", "y" or nothing instead of the argument)
def _init_objects():
    return np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]), np.array([0, 1, 0, 1])


def _init_experiment(**kw):
    from lecturenn.init_pretrain import init_experiment

    X, y = _init_objects()
    args = {"build": lambda s: Network([2, 3, 2], rng=s), "X_train": X, "y_train": y,
            "X_test": X, "y_test": y, "seeds": [0], "epochs": 1, "batch_size": 2, **kw}
    return init_experiment(**args)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"seeds": 0}, TypeError, r"seeds must be a sequence of ints .*got 0"),
    ({"seeds": None}, TypeError, r"seeds must be a sequence of ints"),
    ({"seeds": []}, ValueError, r"seeds must not be empty"),
    ({"seeds": [0, -1]}, ValueError, r"seeds\[1\] must be >= 0, got -1"),
    ({"seeds": ["a"]}, TypeError, r"seeds\[0\] must be an int, got 'a'"),
    ({"X_test": np.array([[NAN, 1.0], [0.0, 1.0]])}, ValueError, r"X_test must be finite"),
    ({"X_train": np.zeros((2, 2, 2))}, ValueError, r"X_train must be a 2-dimensional array"),
    ({"y_test": 2.7}, ValueError, r"y_test must be a 1 or 2-dimensional array"),
    ({"y_train": [0, 1]}, ValueError, r"y_train has 2 entries but X_train has 4 rows"),
    ({"y_test": ["a"] * 4}, TypeError, r"y_test must be a real numeric array"),
])
def test_init_experiment_names_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        _init_experiment(**kwargs)


def test_init_modules_name_the_argument():
    from lecturenn import init_diagnostics as diag
    from lecturenn.init_pretrain import linear_neurons_network

    X, y = _init_objects()
    with pytest.raises(TypeError, match=r"depths must be a sequence of ints .*got 3"):
        diag.product_singular_values(ln.init.orthogonal, 2, 3)
    with pytest.raises(ValueError, match=r"depths\[1\] must be >= 1, got 0"):
        diag.product_singular_values(ln.init.orthogonal, 2, [1, 0])
    with pytest.raises(ValueError, match=r"depths must not be empty"):
        diag.product_singular_values(ln.init.orthogonal, 2, [])
    with pytest.raises(TypeError, match=r"widths must be a sequence of ints .*got None"):
        linear_neurons_network(None, X, y)
    with pytest.raises(ValueError, match=r"y has 4 entries but X has 2 rows"):
        diag.layer_statistics(Network([2, 3, 2], rng=0), X[:2], y)
    with pytest.raises(ValueError, match=r"y has 3 entries but X has 4 rows"):
        diag.mean_activations_during_training(Network([2, 3, 2], rng=0), X, y[:3], X,
                                              None, epochs=1)
