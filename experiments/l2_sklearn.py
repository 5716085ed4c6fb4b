#!/usr/bin/env python3
"""L2-regularized training: foldtrain's recipe against scikit-learn's
LogisticRegression at the same strength.

For each dataset and each C, lambda = 1 / (C * n_train) (scikit-learn's
objective sum(loss) + ||w||^2 / (2C), divided by n, is foldtrain's mean
loss + lambda ||w||^2 / 2). foldtrain: `foldtrain --json train --l2 LAMBDA`
(the fixed-point trainer, bit for bit what `prove` proves, and its float
twin), default recipe otherwise (10 epochs, batch 32, lr 0.1, hard4).
scikit-learn: LogisticRegression(C=C) (lbfgs to the exact optimum) on the
same split (first 80% of rows in file order train) z-scored with the
training rows' mean and population deviation. Also C = inf (no penalty).

Usage: python3 experiments/l2_sklearn.py [DATA.csv ...]
       (needs numpy and scikit-learn; builds nothing: uses
       target/release/foldtrain, or $FOLDTRAIN_BIN)
Writes experiments/results/l2_sklearn.md.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("FOLDTRAIN_BIN", str(ROOT / "target" / "release" / "foldtrain"))
CS = [float("inf"), 1.0, 0.1, 0.01, 0.001]


def load(path):
    data = np.genfromtxt(path, delimiter=",", skip_header=1)
    return data[:, :-1], data[:, -1].astype(int)


def sklearn_accuracy(x, y, c):
    n = int(len(x) * 0.8)
    xt, yt, xs, ys = x[:n], y[:n], x[n:], y[n:]
    mu, sd = xt.mean(axis=0), xt.std(axis=0)
    sd[sd == 0] = 1.0
    zt, zs = (xt - mu) / sd, (xs - mu) / sd
    clf = LogisticRegression(C=c if c != float("inf") else np.inf, max_iter=5000)
    clf.fit(zt, yt)
    return clf.score(zs, ys), float(np.linalg.norm(clf.coef_))


def foldtrain(path, l2, out):
    run = subprocess.run(
        [BIN, "--json", "--quiet", "train", "--data", str(path), "--l2", repr(l2), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        return None, run.stderr.strip().splitlines()[-1]
    r = json.loads(run.stdout)
    return r, float(np.linalg.norm(r["weights"]))


def main():
    paths = [Path(p) for p in sys.argv[1:]] or [
        ROOT / "datasets" / f"{d}.csv" for d in ("german_credit", "breast_cancer", "adult")
    ]
    lines = [
        "# L2 regularization against scikit-learn",
        "",
        f"`python3 experiments/l2_sklearn.py` ({', '.join(p.name for p in paths)}). Test accuracy",
        "(%) on the last 20% of rows; `|w|`: the weights' norm (z-scored features).",
        "foldtrain: the default recipe (10 epochs of batch-32 SGD, lr 0.1, hard4",
        "sigmoid, fixed point) with `--l2 1/(C n)`; float: its float twin (true",
        "sigmoid); scikit-learn: `LogisticRegression(C)` solved exactly.",
        "",
        "| dataset | C | lambda | foldtrain (proven) | float twin | scikit-learn | foldtrain \\|w\\| | scikit-learn \\|w\\| |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        x, y = load(path)
        n = int(len(x) * 0.8)
        for c in CS:
            l2 = 0.0 if c == float("inf") else 1.0 / (c * n)
            with tempfile.TemporaryDirectory() as tmp:
                r, norm = foldtrain(path, l2, Path(tmp) / "out")
            sk, sk_norm = sklearn_accuracy(x, y, c)
            if r is None:
                ours = f"refused: {norm}"
                lines.append(f"| {path.stem} | {c:g} | {l2:.3g} | {ours} | | {100 * sk:.2f} | | {sk_norm:.2f} |")
            else:
                lines.append(
                    f"| {path.stem} | {c:g} | {l2:.3g} | {100 * r['test_accuracy']:.2f} | "
                    f"{100 * r['float_test_accuracy']:.2f} | {100 * sk:.2f} | {norm:.2f} | {sk_norm:.2f} |"
                )
            print(lines[-1], flush=True)
    out = ROOT / "experiments" / "results" / "l2_sklearn.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
