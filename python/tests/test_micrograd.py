"""micrograd's nn and demo, run on scalargrad.micrograd with only the imports changed, against
the numbers micrograd 0.1.0 printed for the same code (written here: no micrograd needed)."""

import csv
import os
import random
import resource

import numpy as np
import pytest

import scalargrad
from scalargrad.micrograd import nn
from scalargrad.micrograd.engine import Value
from scalargrad.micrograd.nn import MLP, Layer, Neuron

DATA = os.path.join(os.path.dirname(__file__), "data", "demo_moons.csv")

# micrograd 0.1.0 on the same code and data: model.parameters()[:5] after random.seed(1337),
# and (loss, accuracy) at some steps of the demo loop
MICROGRAD_FIRST_WEIGHTS = [0.23550571390294128, 0.06653114721000164, 0, -0.26830328150124894, 0.1715747078045431]
MICROGRAD_STEPS = {
    0: (0.8958441028683222, 0.5),
    1: (1.7235905336972022, 0.81),
    2: (0.7429006313851131, 0.77),
    10: (0.24507023853658041, 0.91),
    50: (0.09875114765619636, 0.96),
    99: (0.010978370135492719, 1.0),
}


def moons():
    with open(DATA) as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r["x1"]), float(r["x2"])] for r in rows])
    y = np.array([int(r["y"]) for r in rows])
    return X, y


def demo_loss(model, X, y):
    # micrograd's demo notebook's loss(), as written there
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def fast_loss(model, X, y):
    scores = model.scores(X.tolist())
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y.tolist(), scores)]
    return data_loss + reg_loss, sum(accuracy) / len(accuracy)


def train(loss, steps=100):
    X, y = moons()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    seen = {}
    for k in range(steps):
        total_loss, acc = loss(model, X, y)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        seen[k] = (total_loss.data, acc)
    return model, seen


def test_the_model_starts_from_micrograds_weights():
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337
    assert [p.data for p in model.parameters()[:5]] == MICROGRAD_FIRST_WEIGHTS
    assert repr(model).startswith("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)")
    assert repr(model).endswith("Layer of [LinearNeuron(16)]]")
    assert isinstance(model, nn.Module)


@pytest.mark.parametrize("loss", [demo_loss, fast_loss], ids=["micrograds-code", "fast-path"])
def test_the_demo_reaches_micrograds_losses_and_100_percent(loss):
    _, seen = train(loss)
    for k, (expected_loss, expected_accuracy) in MICROGRAD_STEPS.items():
        got_loss, got_accuracy = seen[k]
        # the same operations, gradients summed in another order: equal to rounding
        assert got_loss == pytest.approx(expected_loss, rel=1e-11), k
        assert got_accuracy == expected_accuracy, k
    assert seen[99][1] == 1.0


def test_a_neuron_makes_micrograds_nodes():
    random.seed(0)
    n = Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    assert y._op == "ReLU"
    (act,) = y._prev
    # sum((wi*xi ...), b): (b + w0*x0) + w1*x1
    assert act._op == "+"
    inner, last = sorted(act._prev, key=lambda v: v._op != "+")
    assert inner._op == "+" and last._op == "*"
    assert n.b in inner._prev
    assert {id(v) for v in last._prev} == {id(n.w[1]), id(x[1])}
    # plain numbers as inputs are lifted, as micrograd's wi*xi lifts them
    z = Neuron(2, nonlin=False)([1.0, 2.0])
    assert z._op == "+"
    y.backward()
    assert n.w[0].grad == (1.0 if y.data > 0 else 0.0)


def test_a_layer_returns_a_value_for_one_neuron_and_a_list_otherwise():
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)
    assert len(Layer(3, 4)([1.0, 2.0, 3.0])) == 4


def test_memory_stays_flat_over_10000_steps():
    random.seed(1)
    model = MLP(2, [4, 1])
    points = [([0.5, -1.0], 1), ([-0.3, 0.8], -1), ([1.2, 0.1], 1)]

    def step():
        scores = [model([Value(a), Value(b)]) for (a, b), _ in points]
        loss = sum((1 + -t * s).relu() for (_, t), s in zip(points, scores))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad

    for _ in range(200):
        step()
    nodes_before = scalargrad.tape_length()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(10_000):
        step()
    assert scalargrad.tape_length() == nodes_before
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    # one step's graph is about 70 Values; 10,000 steps kept would be tens of megabytes
    assert grown_kb < 2_000, f"peak memory grew by {grown_kb} KB"
