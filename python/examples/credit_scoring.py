# %% [markdown]
# # Credit scoring with a proof of training
#
# A bank commits to its loan data, trains a logistic-regression scorer with
# a zero-knowledge proof of the training, proves the model's accuracy on the
# held-out rows, and hands a regulator the public files (never the rows).
#
# Run from anywhere:  python python/examples/credit_scoring.py [OUT_DIR]
# (OUT_DIR defaults to a new temporary folder). Takes a few minutes on 2 cores.

# %%
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import foldtrain

EPOCHS = 5  # modest, so the whole example runs in minutes

HERE = Path(__file__).resolve().parent
DATASET = HERE.parent.parent / "datasets" / "german_credit.csv"
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="credit-scoring-"))
out.mkdir(parents=True, exist_ok=True)
print(f"foldtrain {foldtrain.__version__}; output folder: {out}")

# %% Load the data: 48 numeric (one-hot encoded) features, label 0/1.
df = pd.read_csv(DATASET)
X, y = df.drop(columns="label"), df["label"]
print(f"{DATASET.name}: {X.shape[0]} rows, {X.shape[1]} features, "
      f"{y.mean():.0%} of labels are 1")

# %% The data owner commits to the training and test rows before any training.
cd = foldtrain.commit(X, y, out_dir=out / "commitment", train_fraction=0.8)
print("published before training:")
print(f"  training commitment: {cd.commitment}  ({cd.train_rows} rows)")
print(f"  test commitment:     {cd.test_commitment}  ({cd.test_rows} rows)")
print(f"  file: {cd.commitment_path}")

# %% Train and prove the training on the committed training rows.
# The split helpers return arrays; put the column names back so the model
# keeps them (fit checks they are the committed ones).
X_train = pd.DataFrame(cd.X_train, columns=cd.feature_names)
clf = foldtrain.ProvenLogisticRegression(epochs=EPOCHS)
t = time.perf_counter()
clf.fit(X_train, cd.y_train, commitment=cd, out_dir=out / "training")
print(f"fit and proof: {time.perf_counter() - t:.1f} s; proof {clf.proof_bytes_:,} bytes "
      f"({clf.bundle_.name})")
print("  timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in clf.timings_.items()))
weights = pd.Series(clf.weights_, index=clf.feature_names_in_)
print(f"  bias {clf.bias_:+.4f}; largest weights (z-scored features):")
print(weights.reindex(weights.abs().sort_values(ascending=False).index).head(8).to_string())

# %% Prove the accuracy on the committed test rows, and compare with a native score.
t = time.perf_counter()
ev = foldtrain.prove_eval(clf, cd, split="test")
print(f"proven test accuracy: {ev.accuracy:.4f} (precision {ev.precision:.4f}, recall "
      f"{ev.recall:.4f}, counts {ev.counts}); {time.perf_counter() - t:.1f} s")
native = clf.score(pd.DataFrame(cd.X_test, columns=cd.feature_names), cd.y_test)
print(f"native test accuracy: {native:.4f} -> {'agree' if native == ev.accuracy else 'DIFFER'}")

# %% Audit the chain: commitment -> training proof -> evaluation proof.
t = time.perf_counter()
report = out / "audit.html"
a = foldtrain.audit(clf, eval=ev, commitment=cd, report=report)
print(f"audit passed: {a.passed} ({time.perf_counter() - t:.1f} s); report: {report}")

# %% What a regulator receives (public) and what stays with the bank.
print("what a regulator receives:")
for f in [cd.commitment_path, clf.bundle_, ev.bundle, clf.model_path_, report]:
    print(f"  {f.name:<24} {f.stat().st_size:>10,} bytes  {f}")
print("stays with the bank:")
for private in [out / "commitment" / "private", out / "training" / "private"]:
    names = sorted(p.name for p in private.iterdir()) if private.is_dir() else []
    print(f"  {private}/: {', '.join(names) or '(empty)'}")

# %% Optional: a float logistic regression on the same split, for reference.
try:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError:
    print("scikit-learn not installed; skipping the float comparison")
else:
    sk = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    sk.fit(cd.X_train, cd.y_train)
    print(f"scikit-learn LogisticRegression test accuracy: {sk.score(cd.X_test, cd.y_test):.4f} "
          f"(float; foldtrain's proven: {ev.accuracy:.4f})")
