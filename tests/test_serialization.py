"""Saving and loading weights as .npz without pickle."""

import json

import numpy as np
import pytest

from lecturenn.layers import Dense
from lecturenn.network import Network
from lecturenn.serialization import ARCHITECTURE_KEY, load, load_into, save


def _net(dtype=np.float64, rng=0):
    g = np.random.default_rng(rng)
    return Network([Dense(3, 5, "prelu", rng=g, dtype=dtype),
                    Dense(5, 4, {"name": "leaky_relu", "alpha": 0.2}, rng=g, dtype=dtype),
                    Dense(4, 2, "sigmoid", rng=g, dtype=dtype)])


def test_round_trip_rebuilds_architecture_and_weights(tmp_path):
    net = _net()
    net.parameters()[1].data[:] = [0.1, 0.2, 0.3, 0.4, 0.5]  # trained PReLU slopes
    path = save(net, tmp_path / "model")
    assert path.suffix == ".npz" and path.exists()
    with np.load(path, allow_pickle=False) as f:  # readable without pickle
        cfg = json.loads(str(f[ARCHITECTURE_KEY]))
        assert set(f.files) == {ARCHITECTURE_KEY, "layers.0.W", "layers.0.alpha",
                                "layers.1.W", "layers.2.W"}
    assert cfg["layers"][1]["activation"] == {"name": "leaky_relu", "alpha": 0.2}
    again = load(path)
    assert repr(again) == repr(net)
    X = np.random.default_rng(1).normal(size=(6, 3))
    np.testing.assert_array_equal(again(X), net(X))
    again2 = Network.load(path)
    np.testing.assert_array_equal(again2(X), net(X))
    written = net.save(tmp_path / "m2")          # the suffix .npz is added, and the path returned
    assert written == tmp_path / "m2.npz" and written.exists()
    np.testing.assert_array_equal(Network.load(written)(X), net(X))


def test_load_into_keeps_parameter_objects(tmp_path):
    src = _net(rng=1)
    dst = _net(rng=2)
    ids = [id(p) for p in dst.parameters()]
    arrays = [id(p.data) for p in dst.parameters()]
    save(src, tmp_path / "w.npz")
    load_into(dst, tmp_path / "w.npz")
    assert [id(p) for p in dst.parameters()] == ids
    assert [id(p.data) for p in dst.parameters()] == arrays  # optimizers keep their refs
    for p, q in zip(src.parameters(), dst.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_float32_round_trip(tmp_path):
    net = Network([2, 3, 1], rng=0, dtype=np.float32)
    save(net, tmp_path / "f32.npz")
    again = load(tmp_path / "f32.npz")
    assert all(p.data.dtype == np.float32 for p in again.parameters())


def test_mismatches_are_clear_and_load_nothing(tmp_path):
    save(_net(rng=1), tmp_path / "w.npz")
    # another architecture: every difference is named, nothing is loaded
    other = Network([3, 6, 4, 2], rng=0)
    before = [p.data.copy() for p in other.parameters()]
    with pytest.raises(ValueError, match=(
            r"holds another architecture than the model \(nothing was loaded\): "
            r"layers\[0\]\.activation: \{'name': 'prelu', 'shared': False\} in the file, "
            r"\{'name': 'tanh'\} in the model; layers\[0\]\.n_out: 5 in the file, 6 in the model")):
        load_into(other, tmp_path / "w.npz")
    for p, b in zip(other.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    # the same shapes and names, another activation: the arrays alone would fit
    save(Network([3, 4, 2], activation="tanh", rng=0), tmp_path / "tanh.npz")
    relu = Network([3, 4, 2], activation="relu", rng=1)
    with pytest.raises(ValueError, match=(r"layers\[0\]\.activation: \{'name': 'tanh'\} in the "
                                          r"file, \{'name': 'relu'\} in the model$")):
        load_into(relu, tmp_path / "tanh.npz")
    with pytest.raises(ValueError, match=r"layers\[1\]\.activation\.alpha: 0\.2 in the file, "
                                         r"0\.3 in the model"):
        load_into(Network([Dense(3, 5, "prelu"), Dense(5, 4, {"name": "leaky_relu",
                                                               "alpha": 0.3}),
                           Dense(4, 2, "sigmoid")]), tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"dtype: 'float64' in the file, 'float32' in the model"):
        load_into(_net(dtype=np.float32), tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"layers: 3 in the file, 2 in the model"):
        load_into(Network([3, 5, 2]), tmp_path / "w.npz")


def test_files_without_architecture_are_checked_array_by_array(tmp_path):
    def bare(net, name):  # the weights alone, as np.savez writes them
        np.savez(tmp_path / name, **net.state_dict())
        return tmp_path / name

    src = bare(_net(rng=1), "w.npz")
    other = Network([3, 6, 4, 2], rng=0)
    before = [p.data.copy() for p in other.parameters()]
    with pytest.raises(ValueError, match=r"does not match the model \(nothing was loaded\).*"
                                         r"not in the model: \['layers.0.alpha'\]"):
        load_into(other, src)
    for p, b in zip(other.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    # same names, wrong shape
    shaped = Network([Dense(3, 5, "prelu"), Dense(5, 4), Dense(4, 3)])
    with pytest.raises(ValueError, match=r"layers.2.W: shape \(5, 2\) in the file, \(5, 3\)"):
        load_into(shaped, src)
    # extra parameter in the model
    with pytest.raises(ValueError, match=r"missing in the file: \['layers.0.alpha'\]"):
        load_into(_net(), bare(Network([3, 5, 4, 2], rng=0), "plain.npz"))
    # dtype
    with pytest.raises(ValueError, match="dtype float64 in the file, float32 in the model"):
        load_into(_net(dtype=np.float32), src)
    # a NaN weight
    broken = _net(rng=1)
    broken.parameters()[0].data[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"layers.0.W: holds NaN or infinity in the file"):
        load_into(_net(), bare(broken, "nan.npz"))


def test_save_refuses_what_load_cannot_rebuild(tmp_path):
    from lecturenn.activations import Activation

    class Square(Activation):
        name = "sq"

        def value(self, s):
            return s * s

        def derivative(self, s, x=None):
            return 2 * s

    net = Network([Dense(2, 3, Square()), Dense(3, 1)])
    with pytest.raises(ValueError, match=r"cannot save .*load\(\) could not rebuild its "
                                         r"architecture \(unknown activation 'sq'.*ACTIVATIONS"):
        save(net, tmp_path / "sq.npz")
    assert not (tmp_path / "sq.npz").exists()
    with pytest.raises(TypeError, match=r"net of save must be a lecturenn\.network\.Network, "
                                        r"got <object"):
        save(object(), tmp_path / "o.npz")
    save(Network([2, 2], rng=0), tmp_path / "n.npz")
    with pytest.raises(TypeError, match=r"net of load_into must be a lecturenn\.network\.Network"):
        load_into(object(), tmp_path / "n.npz")


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no weights file"):
        load(tmp_path / "nothing.npz")
    np.savez(tmp_path / "bare.npz", **{"layers.0.W": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="holds no architecture"):
        load(tmp_path / "bare.npz")
    load_into(Network([2, 2], rng=0), tmp_path / "bare.npz")  # fine without architecture
    np.savez(tmp_path / "pickled.npz", **{"layers.0.W": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ValueError, match="not a lecturenn weights file"):
        load_into(Network([2, 2], rng=0), tmp_path / "pickled.npz")
    np.savez(tmp_path / "badjson.npz", **{ARCHITECTURE_KEY: np.array("{nope")})
    with pytest.raises(ValueError, match="not valid JSON"):
        load(tmp_path / "badjson.npz")
    with pytest.raises(TypeError, match="path must be a str"):
        save(Network([2, 2], rng=0), 3)
    with pytest.raises(ValueError, match="not a lecturenn.Network config"):
        Network.from_config({"format": "other"})
