#!/usr/bin/env python3
"""Independent float reference for foldtrain's training recipe.

Plain Python (no numpy), written from the recipe in datasets/README.md, not
from the Rust code:

- CSV: a header row, numeric feature columns, a last column `label` (0/1);
- the first floor(0.8 n) rows (file order) train, the rest test;
- every feature is z-scored with the training rows' mean and population
  standard deviation (a column with standard deviation 0 is only centred);
- weights and bias start at 0; mini-batch gradient descent on the mean
  logistic loss, batch 32 in file order, the last partial batch included and
  averaged over its own size; learning rate 0.1; 10 epochs; true sigmoid;
- predict 1 when w.x + b >= 0.

Usage: python3 experiments/float_reference.py DATA.csv [--json]
       [--epochs 10] [--lr 0.1] [--batch 32] [--train-fraction 0.8]
"""

import argparse
import csv
import json
import math
import sys


def load(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    header = [c.strip() for c in rows[0]]
    if header[-1] != "label":
        sys.exit(f"{path}: the last column must be `label`")
    xs, ys = [], []
    for line in rows[1:]:
        xs.append([float(c) for c in line[:-1]])
        y = float(line[-1])
        if y not in (0.0, 1.0):
            sys.exit(f"{path}: label {line[-1]!r} is not 0 or 1")
        ys.append(int(y))
    return header[:-1], xs, ys


def fit_normalizer(xs):
    n = len(xs)
    d = len(xs[0])
    means = [0.0] * d
    for row in xs:
        for j, v in enumerate(row):
            means[j] += v
    means = [m / n for m in means]
    stds = [0.0] * d
    for row in xs:
        for j, v in enumerate(row):
            stds[j] += (v - means[j]) ** 2
    stds = [math.sqrt(s / n) for s in stds]
    return means, stds


def normalize(row, means, stds):
    return [(v - m) / s if s > 0 else v - m for v, m, s in zip(row, means, stds)]


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)  # never overflows for z < 0
    return e / (1.0 + e)


def train(xs, ys, epochs, lr, batch):
    n, d = len(xs), len(xs[0])
    w = [0.0] * d
    b = 0.0
    for _ in range(epochs):
        for start in range(0, n, batch):
            end = min(start + batch, n)
            size = end - start
            grad = [0.0] * d
            grad_b = 0.0
            for i in range(start, end):
                z = sum(wj * xj for wj, xj in zip(w, xs[i])) + b
                e = sigmoid(z) - ys[i]
                for j in range(d):
                    grad[j] += e * xs[i][j]
                grad_b += e
            for j in range(d):
                w[j] -= lr * grad[j] / size
            b -= lr * grad_b / size
    return w, b


def accuracy(w, b, xs, ys):
    if not xs:
        return None
    hits = 0
    for x, y in zip(xs, ys):
        z = sum(wj * xj for wj, xj in zip(w, x)) + b
        hits += (z >= 0) == (y == 1)
    return hits / len(xs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--train-fraction", type=float, default=0.8)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    names, xs, ys = load(a.data)
    n_train = math.floor(len(xs) * a.train_fraction)
    means, stds = fit_normalizer(xs[:n_train])
    train_x = [normalize(r, means, stds) for r in xs[:n_train]]
    test_x = [normalize(r, means, stds) for r in xs[n_train:]]
    w, b = train(train_x, ys[:n_train], a.epochs, a.lr, a.batch)
    report = {
        "data": a.data,
        "train_rows": n_train,
        "test_rows": len(xs) - n_train,
        "features": len(names),
        "float_train_accuracy": accuracy(w, b, train_x, ys[:n_train]),
        "float_test_accuracy": accuracy(w, b, test_x, ys[n_train:]),
        "weights": w,
        "bias": b,
    }
    if a.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{a.data}: {report['train_rows']} training rows, "
            f"{report['test_rows']} test rows, {report['features']} features"
        )
        print(f"float train accuracy {report['float_train_accuracy']:.4f}")
        t = report["float_test_accuracy"]
        print("float test accuracy  " + ("n/a" if t is None else f"{t:.4f}"))


if __name__ == "__main__":
    main()
