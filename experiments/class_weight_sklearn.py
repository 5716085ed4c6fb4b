#!/usr/bin/env python3
"""Class weights: foldtrain's recipe against scikit-learn's
LogisticRegression(class_weight=...) on data whose positive class is rare.

For each dataset: no weights, `balanced` (n / (2 n_c) from the training
labels, as scikit-learn computes it) and, on adult, a subsample whose
positive class is rarer (every negative row, every 6th positive: about 5%
positives). foldtrain: `foldtrain --json train --class-weight ...` (the
fixed-point trainer, bit for bit what `prove` proves), default recipe
otherwise. scikit-learn: LogisticRegression(class_weight=..., C=inf) on the
same split, z-scored as in experiments/l2_sklearn.py. Reported on the test
rows: accuracy, recall of class 1 (TPR), specificity (TNR) and balanced
accuracy (their mean).

Usage: python3 experiments/class_weight_sklearn.py [DATA.csv ...]
       (needs numpy and scikit-learn; uses target/release/foldtrain or
       $FOLDTRAIN_BIN)
Writes experiments/results/class_weight_sklearn.md.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from l2_sklearn import BIN, ROOT, load  # noqa: E402


def rates(pred, y):
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    recall, spec = tp / max(1, (y == 1).sum()), tn / max(1, (y == 0).sum())
    return (pred == y).mean(), recall, spec, (recall + spec) / 2


def sklearn_rates(x, y, weight):
    n = int(len(x) * 0.8)
    xt, yt, xs, ys = x[:n], y[:n], x[n:], y[n:]
    mu, sd = xt.mean(axis=0), xt.std(axis=0)
    sd[sd == 0] = 1.0
    clf = LogisticRegression(C=np.inf, class_weight=weight, max_iter=5000)
    clf.fit((xt - mu) / sd, yt)
    return rates(clf.predict((xs - mu) / sd), ys)


def foldtrain_rates(path, weight, out):
    flag = ["--class-weight", weight] if weight else []
    run = subprocess.run(
        [BIN, "--json", "--quiet", "train", "--data", str(path), *flag, "--out", str(out)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise SystemExit(f"foldtrain train failed on {path}: {run.stderr.strip()}")
    r = json.loads(run.stdout)
    c = r["test_confusion"]
    recall = c["tp"] / max(1, c["tp"] + c["fn"])
    spec = c["tn"] / max(1, c["tn"] + c["fp"])
    return (r["test_accuracy"], recall, spec, (recall + spec) / 2), r["recipe"]["class_weights"]


def rare_subsample(path, tmp):
    """Every negative row of `path` and every 6th positive, in file order."""
    lines = Path(path).read_text().splitlines()
    header, rows = lines[0], lines[1:]
    kept, positives = [], 0
    for row in rows:
        if row.rsplit(",", 1)[1].strip() in ("1", "1.0"):
            positives += 1
            if positives % 6:
                continue
        kept.append(row)
    out = Path(tmp) / f"{Path(path).stem}_rare.csv"
    out.write_text("\n".join([header, *kept]) + "\n")
    return out


def main():
    paths = [Path(p) for p in sys.argv[1:]] or [ROOT / "datasets" / f"{d}.csv" for d in ("german_credit", "adult")]
    lines = [
        "# Class weights against scikit-learn",
        "",
        f"`python3 experiments/class_weight_sklearn.py` ({', '.join(p.name for p in paths)}).",
        "Test rows (the last 20%): accuracy, recall of class 1 (TPR), specificity (TNR) and",
        "balanced accuracy, in %. foldtrain: the default recipe (10 epochs of batch-32 SGD,",
        "lr 0.1, hard4, fixed point: what `prove` proves) with `--class-weight`;",
        "scikit-learn: `LogisticRegression(class_weight, C=inf)` solved exactly. `adult_rare`:",
        "adult with every 6th positive row kept (about 5% positives).",
        "",
        "| dataset | positives (train) | class weights | foldtrain acc / TPR / TNR / bal | scikit-learn acc / TPR / TNR / bal |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        all_paths = list(paths)
        if any(p.stem == "adult" for p in paths):
            all_paths.append(rare_subsample(next(p for p in paths if p.stem == "adult"), tmp))
        for path in all_paths:
            x, y = load(path)
            share = y[: int(len(y) * 0.8)].mean()
            for weight in (None, "balanced"):
                ours, recorded = foldtrain_rates(path, weight, Path(tmp) / f"{path.stem}-{weight}.json")
                theirs = sklearn_rates(x, y, weight)
                fmt = " / ".join(f"{100 * v:.1f}" for v in ours)
                sk = " / ".join(f"{100 * v:.1f}" for v in theirs)
                shown = "none" if recorded is None else f"balanced: {recorded[0]:g}, {recorded[1]:g}"
                lines.append(f"| {path.stem} | {100 * share:.1f}% | {shown} | {fmt} | {sk} |")
                print(lines[-1], flush=True)
    out = ROOT / "experiments" / "results" / "class_weight_sklearn.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
