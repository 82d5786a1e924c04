#!/usr/bin/env python3
"""Times the whole `scalargrad --dataset digits` process against scikit-learn's MLPClassifier fit
on the same digits, interleaved round by round in one run, and prints medians, their ratio and
both held-out accuracies. Optional; not part of CI (pip install scikit-learn).

    cargo build --release
    python3 bench/digits_vs_sklearn.py [rounds]    (default 7)

Both sides: one hidden ReLU layer of 64, mini-batches of 32, Adam at 0.001 (scikit-learn's
default; scalargrad's default for adam is 0.01, so it is given), 30 epochs (1,437 training images
in batches of 32 after a shuffle each epoch, on both sides: 45 steps an epoch, 1,350 steps),
pixels / 16, 360 images held out. The splits
are both seeded shuffles of the same 1,797 rows, not the same shuffle.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

# 30 epochs is the comparison's budget on both sides, not a failure to converge
warnings.filterwarnings("ignore", category=ConvergenceWarning)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "scalargrad")
DIGITS = os.path.join(ROOT, "src", "data", "digits", "digits.txt")
FLAGS = ["--dataset", "digits", "--hidden", "64", "--batch-size", "32", "--optimizer", "adam",
         "--lr", "0.001", "--schedule", "constant", "--epochs", "30", "--l2", "0",
         "--frames", "0"]


def load_digits():
    pixels, digits = [], []
    with open(DIGITS) as f:
        for line in f:
            digit, counts = line.split()
            digits.append(int(digit))
            pixels.append(["0123456789abcdefg".index(c) / 16.0 for c in counts])
    return np.array(pixels), np.array(digits)


def scalargrad_round(out):
    started = time.perf_counter()
    subprocess.run([BINARY, *FLAGS, "--out", out], check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    with open(os.path.join(out, "run.json")) as f:
        accuracy = json.load(f)["final"]["test_accuracy"]
    return elapsed, accuracy


def sklearn_round(X, y, seed):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=360, random_state=seed)
    model = MLPClassifier(hidden_layer_sizes=(64,), batch_size=32, max_iter=30, alpha=0.0,
                          random_state=seed)
    started = time.perf_counter()
    model.fit(X_train, y_train)
    elapsed = time.perf_counter() - started
    return elapsed, model.score(X_test, y_test)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    X, y = load_digits()
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as out:
        for k in range(rounds):
            ours.append(scalargrad_round(out))
            theirs.append(sklearn_round(X, y, k))
    ours_time = statistics.median(t for t, _ in ours)
    theirs_time = statistics.median(t for t, _ in theirs)
    print(f"scalargrad process  median {ours_time:.3f} s  held-out accuracy "
          f"{min(a for _, a in ours):.3f}-{max(a for _, a in ours):.3f}  ({rounds} rounds)")
    print(f"sklearn fit         median {theirs_time:.3f} s  held-out accuracy "
          f"{min(a for _, a in theirs):.3f}-{max(a for _, a in theirs):.3f}")
    print(f"ratio (scalargrad / sklearn): {ours_time / theirs_time:.2f}x")


if __name__ == "__main__":
    main()
