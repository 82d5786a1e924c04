"""micrograd's demo loop on micrograd 0.1.0 and on scalargrad's Python package, side by side.

The loop is micrograd's demo notebook's (100 moons, MLP 2-16-16-1, full batch, SVM max-margin
loss plus L2, SGD), written once and run with each package's ``Value`` and ``MLP``: the same
code, only the imports differ. Rounds alternate between the packages; the figure is the median
time per step of each and their ratio. A third row is scalargrad's opt-in fast path
(``model.scores(X)``: each neuron one fused engine node).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ./python numpy micrograd==0.1.0
    /tmp/venv/bin/python bench/python_vs_micrograd.py [rounds]

The data is python/tests/data/demo_moons.csv: the notebook's make_moons(n_samples=100,
noise=0.1) after np.random.seed(1337), y in {-1, 1}.
"""

import csv
import os
import random
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's idle BLAS threads spin on a 2-core machine

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "python", "tests", "data", "demo_moons.csv")


def load():
    with open(DATA) as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r["x1"]), float(r["x2"])] for r in rows])
    y = np.array([int(r["y"]) for r in rows])
    return X, y


def demo_loss(Value, model, X, y):
    """The notebook's loss(): inputs as Values, scores, max-margin loss, L2, accuracy."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def fast_loss(Value, model, X, y):
    """The same loss with the forward pass through scalargrad's fast path."""
    scores = model.scores(X.tolist())
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y.tolist(), scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def steps(Value, MLP, loss, X, y, count):
    """Seconds per step over `count` steps of the notebook's loop, from random.seed(1337), and
    the first step's loss."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    first = None
    start = time.perf_counter()
    for k in range(count):
        total_loss, acc = loss(Value, model, X, y)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if first is None:
            first = float(total_loss.data)
    return (time.perf_counter() - start) / count, first


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    X, y = load()
    import scalargrad.micrograd.engine as ours_engine
    import scalargrad.micrograd.nn as ours_nn

    candidates = [("scalargrad", ours_engine.Value, ours_nn.MLP, demo_loss, 20)]
    candidates.append(("scalargrad fast path", ours_engine.Value, ours_nn.MLP, fast_loss, 20))
    try:
        import micrograd.engine as mg_engine
        import micrograd.nn as mg_nn

        candidates.insert(0, ("micrograd 0.1.0", mg_engine.Value, mg_nn.MLP, demo_loss, 2))
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0): scalargrad only")
    times = {name: [] for name, *_ in candidates}
    firsts = {}
    for _ in range(rounds):
        for name, Value, MLP, loss, count in candidates:
            per_step, first = steps(Value, MLP, loss, X, y, count)
            times[name].append(per_step)
            firsts[name] = first
    base = statistics.median(times[candidates[0][0]])
    print(f"{'':22} {'ms/step (median)':>17} {'ratio':>9}  first loss")
    for name, *_ in candidates:
        median = statistics.median(times[name])
        print(f"{name:22} {median * 1e3:17.3f} {base / median:8.1f}x  {firsts[name]!r}")


if __name__ == "__main__":
    main()
