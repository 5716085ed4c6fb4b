"""Shared fixtures. Every test uses a parameter cache of its own session
(never the user's), and small data with few epochs."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]

# Set before any proof runs: the library reads it at each call.
_CACHE = tempfile.mkdtemp(prefix="foldtrain-test-cache-")
os.environ["FOLDTRAIN_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def small():
    """64 rows, 3 features, labels from a known linear rule."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(64, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, -1.0]
    z = 1.5 * X[:, 0] - 0.2 * (X[:, 1] - 50.0) + 4.0 * (X[:, 2] + 1.0)
    y = (z + rng.normal(scale=0.5, size=64) > 0).astype(int)
    return X, y


@pytest.fixture(scope="session")
def cli():
    """The CLI binary built from this tree (`cargo build --release`, which
    `cargo test --release` does before these tests in .ci/run)."""
    exe = Path(os.environ.get("FOLDTRAIN_BIN", REPO / "target" / "release" / "foldtrain"))
    if not exe.exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "foldtrain"], cwd=REPO, check=True)
    return exe


RECIPE = dict(epochs=2, batch_size=16)


@pytest.fixture(scope="session")
def fitted(small, tmp_path_factory):
    """One proven fit on the small data, shared by the tests that only read
    it."""
    import foldtrain

    X, y = small
    out = tmp_path_factory.mktemp("fit")
    clf = foldtrain.ProvenLogisticRegression(progress=False, **RECIPE)
    return clf.fit(X, y, out_dir=out)
