#!/usr/bin/env python3
"""Runs micrograd (pip install micrograd) on workload W: the same data, initial weights, loss and
learning-rate schedule as `cargo bench -p scalargrad-bench --bench training`, and prints its
losses and its median time per step, for comparison. Optional; not part of CI.

    python3 bench/micrograd_compare.py [steps]    (default 5: micrograd takes ~2 s a step)
"""
import csv
import os
import statistics
import sys
import time

from micrograd.nn import MLP

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
# the losses scalargrad (and PyTorch f64, and hand-written code) give at steps 0.. on W
REFERENCE = {0: 0.90671958594944524, 99: 0.011051827936681746}


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with open(os.path.join(HERE, "moons100.csv")) as f:
        rows = list(csv.DictReader(f))
    X = [[float(r["x1"]), float(r["x2"])] for r in rows]
    y = [float(r["y"]) for r in rows]
    with open(os.path.join(HERE, "weights_init.csv")) as f:
        weights = [float(r["value"]) for r in csv.DictReader(f)]
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == len(weights)
    for p, w in zip(params, weights):
        p.data = w
    times = []
    for k in range(steps):
        start = time.perf_counter()
        scores = [model(x) for x in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
        times.append(time.perf_counter() - start)
        note = f"  (scalargrad: {REFERENCE[k]!r})" if k in REFERENCE else ""
        print(f"step {k}: loss {total.data!r}{note}")
    print(f"micrograd: median {1000 * statistics.median(times):.1f} ms/step over {steps} steps")


if __name__ == "__main__":
    main()
