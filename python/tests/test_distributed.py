"""A run proven in segments on a local Ray cluster (its own worker
processes): it verifies, states three segments, and its weights are the
unsegmented proof's bit for bit."""

import numpy as np
import pytest
import ray

import foldtrain
import foldtrain.distributed
from conftest import RECIPE


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_run_proven_in_segments_on_ray_verifies_with_the_unsegmented_weights(local_ray, small, fitted, tmp_path):
    X, y = small
    seen = []
    # One mini-batch a folded step: 8 steps to cut in 3 (the grouping of
    # batches into steps does not change the training).
    clf = foldtrain.distributed.prove(
        X,
        y,
        segments=3,
        out_dir=tmp_path / "run",
        batches_per_step=1,
        progress=lambda phase, done, total: seen.append((phase, done, total)),
        **RECIPE,
    )
    assert seen == [("segment", 1, 3), ("segment", 2, 3), ("segment", 3, 3)]
    assert [s["index"] for s in clf.report_.segments] == [0, 1, 2]
    assert sum(s["steps"] for s in clf.report_.segments) == clf.report_.steps == 8
    assert np.array_equal(clf.weights_, fitted.weights_) and clf.bias_ == fitted.bias_
    verified = foldtrain.verify(clf.bundle_)
    assert verified.accepted and verified.report.segments == 3
    assert foldtrain.inspect_bundle(clf.bundle_).segments == 3
    # The estimator predicts as any fitted one does.
    assert np.array_equal(clf.predict(X), fitted.predict(X))


def test_segments_must_be_a_count(small, tmp_path):
    X, y = small
    with pytest.raises(ValueError, match="segments"):
        foldtrain.distributed.prove(X, y, segments=0, out_dir=tmp_path / "run", progress=False, **RECIPE)
