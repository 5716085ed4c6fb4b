"""The Python package against the library and the CLI: fits prove and
verify, a wrong bundle is rejected, bad input is a ValueError, Ctrl-C leaves
a checkpoint that resumes, and the chain of statements audits."""

import copy
import json
import os
import signal
import stat
import struct
import subprocess

import numpy as np
import pytest

import foldtrain
from conftest import RECIPE, REPO


def test_fit_on_an_array_proves_and_verifies(fitted, small):
    X, y = small
    clf = fitted
    assert clf.bundle_.exists() and clf.bundle_.name == "proof.bundle"
    assert 0 < clf.proof_bytes_ < 64 * 1024
    assert set(clf.timings_) == {"command_s", "setup_s", "prove_s", "compress_s", "verify_s"}
    assert clf.coef_.shape == (1, 3) and clf.intercept_.shape == (1,)
    assert clf.n_features_in_ == 3 and not hasattr(clf, "feature_names_in_")
    assert list(clf.classes_) == [0, 1]

    v = foldtrain.verify(clf)
    assert v.accepted and v.reason is None
    # The statement is what was proven: the fitted weights, bit for bit.
    assert v.weights == list(clf.weights_) and v.bias == clf.bias_
    assert v.commitment == clf.commitment_
    assert v.recipe.epochs == RECIPE["epochs"] and v.recipe.batch == RECIPE["batch_size"]
    # The same file, given as a path and as bytes.
    assert foldtrain.verify(str(clf.bundle_)).weights == v.weights
    assert foldtrain.verify(clf.bundle_.read_bytes()).weights == v.weights

    # The rule is learnable: the model beats the majority class.
    assert clf.score(X, y) > max(np.mean(y), 1 - np.mean(y))
    proba = clf.predict_proba(X)
    assert proba.shape == (64, 2) and np.allclose(proba.sum(axis=1), 1.0)
    d = clf.decision_function(X)
    assert np.array_equal(clf.predict(X), (d >= 0).astype(int))
    # coef_ and intercept_ are in raw-feature units: they reproduce the
    # fixed-point logits up to quantization.
    assert np.max(np.abs(X @ clf.coef_.ravel() + clf.intercept_[0] - d)) < 0.05


def test_proven_weights_equal_the_cli_on_the_same_rows(fitted, small, cli, tmp_path):
    X, y = small
    data = tmp_path / "same.csv"
    rows = ["x0,x1,x2,label"] + [",".join(repr(float(v)) for v in r) + f",{t}" for r, t in zip(X, y)]
    data.write_text("\n".join(rows) + "\n")
    out = subprocess.run(
        [str(cli), "--json", "train", "--data", str(data), "--train-fraction", "1.0",
         "--epochs", str(RECIPE["epochs"]), "--batch", str(RECIPE["batch_size"])],
        check=True, capture_output=True, text=True,
    )
    report = json.loads(out.stdout)
    assert report["train_rows"] == 64 and report["test_rows"] == 0
    assert report["weights"] == list(fitted.weights_)
    assert report["bias"] == fitted.bias_
    # The CSV fit wrote is the same data, byte for byte in value.
    private = fitted.out_dir_ / "private"
    header, *body = (private / "data.csv").read_text().splitlines()
    assert header == "x0,x1,x2,label"
    assert np.array_equal(np.array([[float(c) for c in b.split(",")[:3]] for b in body]), X)


def test_fit_on_a_dataframe_keeps_column_names_and_string_classes(small, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = small
    # Names a CSV must quote, and labels that are not 0/1.
    frame = pd.DataFrame(X, columns=["age", "income, net", 'score "raw"'])
    labels = np.where(y == 1, "good", "bad")
    clf = foldtrain.ProvenLogisticRegression(progress=False, **RECIPE).fit(frame, labels, out_dir=tmp_path)
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert list(clf.classes_) == ["bad", "good"]
    assert set(clf.predict(frame)) <= {"bad", "good"}
    # Same rows as an array: the same proven weights as the 0/1 fit.
    ref = foldtrain.ProvenLogisticRegression(progress=False, **RECIPE)
    assert clf.score(frame, labels) == pytest.approx(np.mean(clf.predict(X) == labels))
    model = json.loads(clf.model_path_.read_text())
    assert model["feature_names"] == list(frame.columns)
    with pytest.raises(ValueError, match="columns"):
        clf.predict(frame[["income, net", "age", 'score "raw"']])
    assert ref.get_params()["epochs"] == RECIPE["epochs"]


def test_outputs_are_laid_out_as_the_cli_lays_them_out(fitted):
    out = fitted.out_dir_
    for name in ("proof.bundle", "model.json", "commitment.json"):
        assert (out / name).is_file(), name
    private = out / "private"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    for name in ("data.csv", "opening.json"):
        assert stat.S_IMODE((private / name).stat().st_mode) == 0o600, name


def _flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    b = bytearray(data)
    b[at] ^= mask
    return bytes(b)


def test_a_tampered_bundle_raises_proof_rejected(fitted):
    good = fitted.bundle_.read_bytes()
    # Every region of the file: header, statement, proof, the end.
    positions = sorted({0, 8, 16, 40, 100, 200, len(good) // 3, len(good) // 2, len(good) - 40, len(good) - 1})
    for at in positions:
        for mask in (0x01, 0x80):
            with pytest.raises(foldtrain.ProofRejected) as e:
                foldtrain.verify(_flip(good, at, mask))
            assert not e.value.verification.accepted and e.value.verification.reason
    # Truncated and extended files.
    for bad in (good[:-1], good + b"\0", good[: len(good) // 2]):
        with pytest.raises(foldtrain.ProofRejected):
            foldtrain.verify(bad)
    # Without raising: the result says why.
    v = foldtrain.verify(_flip(good, len(good) // 2), raise_on_reject=False)
    assert not v.accepted and v.statement is None and v.reason


def test_a_forged_model_file_is_rejected(fitted, tmp_path):
    model = json.loads(fitted.model_path_.read_text())
    assert foldtrain.verify(fitted, model=fitted.model_path_).accepted
    # One weight changed by one unit of 2^-F, and one by a whole unit: the
    # proof still verifies but the file is not its model.
    for i, delta in ((0, 1), (len(model["weights_fixed"]) - 1, 1 << 16)):
        forged = json.loads(json.dumps(model))
        forged["weights_fixed"][i] += delta
        forged["weights"][i] = forged["weights_fixed"][i] / 2**16
        path = tmp_path / f"forged{i}.json"
        path.write_text(json.dumps(forged))
        with pytest.raises(foldtrain.ProofRejected, match="not its model"):
            foldtrain.verify(fitted, model=path)
        # An estimator predicting with the forged file is refused by a bare
        # verify(estimator): it checks the model the estimator predicts with.
        swapped = copy.copy(fitted)
        swapped.model_path_ = path
        with pytest.raises(foldtrain.ProofRejected, match="not its model"):
            foldtrain.verify(swapped)
    # A bundle given as bytes names no file (it was checked from a temporary one).
    assert foldtrain.verify(fitted.bundle_.read_bytes()).bundle is None


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), [0, 1], "NaN or infinite"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), [0, 1], "NaN or infinite"),
        (np.ones((4, 2)), [0, 1, 2, 1], "binary"),
        (np.ones((4, 2)), [1, 1, 1, 1], r"binary: y has 1 class \(\[1\]\)"),
        (np.ones((4, 2)), [0, 1, 1], "labels"),
        (np.ones(4), [0, 1, 0, 1], "2-D"),
        (np.array([["a", "b"], ["c", "d"]]), [0, 1], "numbers"),
        (np.ones((4, 2)), [1, "1", 0, "0"], "mixes string and number"),
        (np.ones((4, 2)), [0.0, 1.0, np.nan, 1.0], "NaN labels"),
    ],
)
def test_bad_data_is_a_value_error(X, y, match):
    with pytest.raises(ValueError, match=match):
        foldtrain.ProvenLogisticRegression(progress=False).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(sigmoid="hard5"), "choose one of clip3, hard4"),
        (dict(learning_rate=-0.1), "learning rate"),
        (dict(batch_size=12), "batch"),
        (dict(epochs=0), "epoch"),
        (dict(batches_per_step=3), "batches per step|divide"),
        (dict(feature_frac_bits=20), "bits"),
        # Wrong types are refused, not coerced (2.5 epochs is not 2).
        (dict(epochs=2.5), "epochs must be an integer"),
        (dict(batch_size=True), "batch_size must be an integer"),
        (dict(private_weights="no"), "private_weights must be True or False"),
        (dict(learning_rate="0.1"), "learning_rate must be a number"),
        (dict(checkpoint_every=1.5), "checkpoint_every must be an integer or None"),
    ],
)
def test_bad_settings_are_a_value_error_with_the_clis_message(small, params, match, tmp_path):
    X, y = small
    with pytest.raises(ValueError, match=match):
        foldtrain.ProvenLogisticRegression(progress=False, **{**RECIPE, **params}).fit(X, y, out_dir=tmp_path)
    if "must be" in match:
        # Refused before anything was written.
        assert not (tmp_path / "private" / "data.csv").exists()


def test_advice_in_errors_names_python_parameters(small, tmp_path):
    """The CLI's advice (`use --batch 64 or less`) reads in Python's terms,
    and following it works."""
    X, y = small
    with pytest.raises(ValueError, match=r"use batch_size=64 or less") as e:
        foldtrain.ProvenLogisticRegression(progress=False, epochs=1, batch_size=128).fit(X, y, out_dir=tmp_path)
    assert "--" not in str(e.value)
    clf = foldtrain.ProvenLogisticRegression(progress=False, epochs=1, batch_size=64)
    assert foldtrain.verify(clf.fit(X, y, out_dir=tmp_path, force=True)).accepted


def test_other_misuse_is_reported(fitted, small, tmp_path):
    X, y = small
    with pytest.raises(ValueError, match="not fitted"):
        foldtrain.ProvenLogisticRegression().predict(X)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :2])
    with pytest.raises(ValueError, match="invalid parameter"):
        fitted.set_params(epoch=3)
    with pytest.raises(OSError):
        foldtrain.verify(tmp_path / "missing.bundle")
    with pytest.raises(TypeError):
        foldtrain.verify(12)
    # A second fit into a used folder is refused, as the CLI refuses it.
    with pytest.raises(ValueError, match="force"):
        foldtrain.ProvenLogisticRegression(progress=False, **RECIPE).fit(X, y, out_dir=fitted.out_dir_)


def test_force_never_replaces_the_rows_behind_a_kept_opening(fitted, small, tmp_path):
    # The library keeps an opening whatever force says, so other rows would
    # be refused; they must not have replaced the rows that opening opens.
    X, y = small
    data = fitted.out_dir_ / "private" / "data.csv"
    before = data.read_bytes()
    other = X.copy()
    other[0, 0] += 1.0
    with pytest.raises(ValueError, match="never replaced"):
        foldtrain.ProvenLogisticRegression(progress=False, **RECIPE).fit(other, y, out_dir=fitted.out_dir_, force=True)
    assert data.read_bytes() == before
    cd = foldtrain.commit(X, y, tmp_path / "c")
    committed = (tmp_path / "c" / "private" / "data.csv").read_bytes()
    with pytest.raises(ValueError, match="never replaced"):
        foldtrain.commit(other, y, tmp_path / "c", force=True)
    assert (tmp_path / "c" / "private" / "data.csv").read_bytes() == committed
    assert np.array_equal(cd.X_train, X[: cd.train_rows])
    # The same rows again are a new commitment (a new salt), also refused.
    with pytest.raises(ValueError, match="never replaced"):
        foldtrain.commit(X, y, tmp_path / "c", force=True)
    assert (tmp_path / "c" / "private" / "data.csv").read_bytes() == committed


def test_scikit_learn_parameter_protocol():
    clf = foldtrain.ProvenLogisticRegression(epochs=3, private_weights=True)
    params = clf.get_params()
    assert params["epochs"] == 3 and params["private_weights"] is True
    assert params["learning_rate"] == 0.1 and params["batch_size"] == 32 and params["sigmoid"] == "hard4"
    assert clf.set_params(epochs=5) is clf and clf.epochs == 5
    assert repr(clf) == "ProvenLogisticRegression(epochs=5, private_weights=True)"
    base = pytest.importorskip("sklearn.base")
    copy = base.clone(clf)
    assert copy is not clf and copy.get_params() == clf.get_params()


def test_ctrl_c_writes_a_checkpoint_and_resume_finishes(fitted, small, tmp_path):
    X, y = small
    seen = []

    def progress(phase, done, total):
        seen.append((phase, done))
        if phase == "fold" and done == 3 and not interrupted:
            interrupted.append(done)
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends

    interrupted = []

    clf = foldtrain.ProvenLogisticRegression(progress=progress, checkpoint_every=1, **RECIPE)
    with pytest.raises(KeyboardInterrupt, match="resume"):
        clf.fit(X, y, out_dir=tmp_path)
    assert not hasattr(clf, "bundle_")
    assert any((tmp_path / "private" / "checkpoints").iterdir())
    assert not (tmp_path / "proof.bundle").exists()
    folded_before = max(d for p, d in seen if p == "fold")
    assert 3 <= folded_before < 8

    seen.clear()
    clf.resume()
    # Folding went on from the checkpoint, not from the start.
    assert min(d for p, d in seen if p == "fold") >= 3
    assert foldtrain.verify(clf).accepted
    # The resumed run folds the remaining steps only, and ends where an
    # uninterrupted run does.
    assert clf.report_.steps_folded_now < clf.report_.steps
    assert list(clf.weights_) == list(fitted.weights_) and clf.bias_ == fitted.bias_


def test_a_progress_callback_that_raises_stops_the_run(small, tmp_path):
    X, y = small

    def progress(phase, done, total):
        if phase == "fold" and done == 2:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        foldtrain.ProvenLogisticRegression(progress=progress, **RECIPE).fit(X, y, out_dir=tmp_path)


def test_a_progress_callback_that_raises_after_the_last_step_keeps_the_run(small, tmp_path):
    X, y = small

    def progress(phase, done, total):
        if phase == "compress":
            raise RuntimeError("late failure")

    clf = foldtrain.ProvenLogisticRegression(progress=progress, **RECIPE)
    with pytest.warns(RuntimeWarning, match="late failure"):
        clf.fit(X, y, out_dir=tmp_path)
    assert foldtrain.verify(clf).accepted


def test_feature_names_the_library_would_trim_are_refused(small, cli, tmp_path):
    # The library reads "age " as "age": two columns of one name could be
    # swapped at prediction time unseen, so such names are refused.
    pd = pytest.importorskip("pandas")
    X, y = small
    for names in (["age ", "age", "income"], ["a", "\ufeffb", "c"], ["a", "b", "label\t"]):
        frame = pd.DataFrame(X, columns=names)
        with pytest.raises(ValueError, match="white space"):
            foldtrain.ProvenLogisticRegression(progress=False, **RECIPE).fit(frame, y, out_dir=tmp_path)
    assert not (tmp_path / "private" / "data.csv").exists()
    # And the CLI refuses a table with two columns of one name once trimmed.
    (tmp_path / "dup.csv").write_text("age,age ,label\n1,2,0\n3,4,1\n")
    run = subprocess.run(
        [str(cli), "train", "--data", str(tmp_path / "dup.csv")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "distinct name" in run.stderr, run.stderr


def test_a_pin_without_a_key_file_is_refused(fitted):
    with pytest.raises(ValueError, match="give vk too"):
        foldtrain.verify(fitted, vk_sha256="0" * 64)


def test_a_key_file_is_used_only_with_its_pin(fitted, cli, tmp_path):
    # Issue 29: a key file's own label proves nothing (a key and a bundle
    # can be relabelled together), so vk without vk_sha256 is refused, as
    # `foldtrain verify --vk` without --vk-sha256 is.
    key = tmp_path / "vk.bin"
    run = subprocess.run(
        [str(cli), "--json", "keys", str(fitted.bundle_), "--out", str(key)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    sha = json.loads(run.stdout)["sha256"]
    with pytest.raises(ValueError, match="vk_sha256") as refused:
        foldtrain.verify(fitted, vk=key)
    assert "foldtrain keys" in str(refused.value)
    with pytest.raises(ValueError, match="not the pinned"):
        foldtrain.verify(fitted, vk=key, vk_sha256="0" * 64)
    v = foldtrain.verify(fitted, vk=key, vk_sha256=sha)
    assert v.accepted and v.report.key_origin == "given"

    # Issue 32: a Verifier holds its key across calls (read and pinned once,
    # when it is made); each bundle is still checked in full.
    held = foldtrain.Verifier(key, vk_sha256=sha)
    first, second = held.verify(fitted), held.verify(fitted.bundle_)
    assert first.accepted and second.accepted
    assert first.report.key_origin == second.report.key_origin == "given"
    good = fitted.bundle_.read_bytes()
    with pytest.raises(foldtrain.ProofRejected):
        held.verify(_flip(good, len(good) // 2))
    assert not held.verify(_flip(good, len(good) // 2), raise_on_reject=False).accepted
    assert held.verify(good).accepted
    with pytest.raises(ValueError, match="not the pinned"):
        foldtrain.Verifier(key, vk_sha256="0" * 64)
    with pytest.raises(ValueError, match="vk_sha256"):
        foldtrain.Verifier(key)
    # Without a key file: the cache's or a derived key, then held.
    unpinned = foldtrain.Verifier()
    assert unpinned.verify(fitted).accepted
    again = unpinned.verify(fitted)
    assert again.accepted and again.report.key_origin == "held"


def test_commit_train_evaluate_predict_and_audit_the_chain(small, tmp_path, cli):
    X, y = small
    cd = foldtrain.commit(X, y, tmp_path, train_fraction=0.75)
    assert (cd.train_rows, cd.test_rows) == (48, 16)
    public = cd.public()
    assert public.train.commitment == cd.commitment and public.test.rows == 16
    assert public.train_fraction == 0.75
    assert np.array_equal(cd.X_train, X[:48]) and np.array_equal(cd.y_test, y[48:])

    clf = foldtrain.ProvenLogisticRegression(progress=False, **RECIPE)
    with pytest.raises(ValueError, match="committed training rows"):
        clf.fit(X, y, commitment=cd)
    clf.fit(cd.X_train, cd.y_train, commitment=cd)
    assert clf.warnings_ == [], "fit passes the commitment's own split"
    assert clf.commitment_ == cd.commitment
    assert foldtrain.verify(clf).commitment == cd.commitment

    ev = foldtrain.prove_eval(clf, cd, split="test")
    assert ev.accuracy == pytest.approx(clf.score(cd.X_test, cd.y_test))
    assert foldtrain.verify(ev).accepted
    # inspect_bundle says its figures are claimed, not verified, for every kind.
    claimed = foldtrain.inspect_bundle(ev)
    assert claimed.verified is False and claimed.kind == "evaluation"
    assert foldtrain.inspect_bundle(clf).verified is False

    new = X[:5] + 0.25
    pp = foldtrain.prove_predict(clf, new, out_dir=tmp_path / "decisions")
    assert np.array_equal(pp.decisions, clf.predict(new))
    # Public weights: the statement states the logits too.
    assert np.allclose(pp.logits, clf.decision_function(new))
    assert np.allclose(pp.probabilities, clf.predict_proba(new)[:, 1])
    assert pp.private_predictions_path is None
    assert foldtrain.verify(pp).accepted
    assert foldtrain.inspect_bundle(pp).verified is False

    # Issue 34: the preprocessing proven from the committed raw rows, and
    # predictions proven from an applicant's own values under its
    # normalizer; the chain audit links them by value.
    prep = foldtrain.prove_preprocessing(cd)
    assert prep.bundle == tmp_path / "preprocessing.bundle" and foldtrain.verify(prep).accepted
    model = foldtrain._foldtrain.read_model(str(clf.model_path_)).to_dict()
    assert list(prep.means) == model["normalizer"]["means"]
    raw = foldtrain.prove_predict(clf, new, out_dir=tmp_path / "raw", raw=True)
    assert np.array_equal(raw.decisions, clf.predict(new))
    a = foldtrain.audit(clf, eval=ev, predict=raw, preprocessing=prep, commitment=cd)
    assert a.passed and a.report.preprocessing.accepted
    assert any("raw predictions are quantized by its normalizer" in l.name for l in a.report.links)

    report = tmp_path / "audit.html"
    a = foldtrain.audit(clf, eval=ev, predict=pp, commitment=cd, report=report)
    with pytest.raises(ValueError, match="give this one with eval or predict"):
        foldtrain.audit(ev)
    assert a.passed and report.read_text().lstrip().lower().startswith("<!doctype html")
    # Issue 31: the estimator's model file names the features in the report
    # (the bars used to say "feature 1"...).
    page = report.read_text()
    assert ">x0</text>" in page and ">feature 1</text>" not in page

    # Issue 30: keys for every kind of statement; verify and the chain audit
    # take them pinned, each bundle checked with its own.
    keys, pins = [], []
    for name, b in (("train", clf.bundle_), ("eval", ev.bundle), ("predict", pp.bundle)):
        key = tmp_path / f"{name}.vk"
        run = subprocess.run(
            [str(cli), "--json", "keys", str(b), "--out", str(key)],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        keys.append(key)
        pins.append(json.loads(run.stdout)["sha256"])
    v = foldtrain.verify(ev, vk=keys[1], vk_sha256=pins[1])
    assert v.accepted and v.report.key_origin == "given"
    with pytest.raises(ValueError, match="key of another recipe"):
        foldtrain.verify(pp, vk=keys[1], vk_sha256=pins[1])
    pinned = foldtrain.audit(clf, eval=ev, predict=pp, commitment=cd, vk=keys, vk_sha256=pins)
    assert pinned.passed and pinned.report.evaluation.key_origin == "given"

    # An evaluation bundle flipped by one bit is rejected, and so is the
    # chain that contains it.
    bad = tmp_path / "bad_eval.bundle"
    good = ev.bundle.read_bytes()
    bad.write_bytes(_flip(good, len(good) // 2))
    with pytest.raises(foldtrain.ProofRejected):
        foldtrain.verify(bad)
    # The audit refuses it: unreadable bytes are a ValueError, as `foldtrain
    # audit` exits 2 on them; readable but wrong ones fail the audit.
    with pytest.raises((ValueError, foldtrain.ProofRejected)):
        foldtrain.audit(clf, eval=bad, commitment=cd)
    # A commitment published for other data does not link.
    other = foldtrain.commit(X[::-1], y[::-1], tmp_path / "other", train_fraction=0.75)
    with pytest.raises(foldtrain.ProofRejected):
        foldtrain.audit(clf, eval=ev, commitment=other)


def test_private_weights_hide_the_model_but_still_predict(small, tmp_path):
    X, y = small
    clf = foldtrain.ProvenLogisticRegression(progress=False, private_weights=True, **RECIPE)
    clf.fit(X, y, out_dir=tmp_path)
    assert clf.model_path_ == tmp_path / "private" / "model.json"
    public = json.loads((tmp_path / "model.public.json").read_text())
    assert "weights" not in public and "weights_fixed" not in public
    v = foldtrain.verify(clf)
    assert v.weights is None and v.weights_commitment
    assert clf.predict(X).shape == (64,)
    claimed = foldtrain.inspect_bundle(clf)
    assert claimed.weights_commitment == v.weights_commitment and claimed.weights is None
    assert claimed.verified is False
    # A private model carrying between two packed weights (w0 + 2^23,
    # w1 - 1 at the default format) packs like the honest one, so it once
    # opened the same C_W: it is refused when read, the field named.
    carried = json.loads(clf.model_path_.read_text())
    carried["weights_fixed"][0] += 1 << 23
    carried["weights_fixed"][1] -= 1
    for i in (0, 1):
        carried["weights"][i] = carried["weights_fixed"][i] / 2**16
    carried_path = tmp_path / "carried.json"
    carried_path.write_text(json.dumps(carried))
    with pytest.raises(ValueError, match="weight 0 is .* outside the range"):
        foldtrain.verify(clf, model=carried_path)
    # With the normalizer kept private too, the public model shows neither.
    clf2 = foldtrain.ProvenLogisticRegression(progress=False, private_weights=True, private_normalizer=True, **RECIPE)
    clf2.fit(X, y, out_dir=tmp_path / "hidden")
    assert json.loads((tmp_path / "hidden" / "model.public.json").read_text())["normalizer"] is None
    assert np.array_equal(clf2.predict(X), clf.predict(X))
    # Proven predictions of a private model state decisions only (exact
    # logits would give the weights back), and no public file pairs the raw
    # inputs with the quantized ones (which would give the normalizer back).
    new = X[:5] + 0.25
    pp = foldtrain.prove_predict(clf2, new, out_dir=tmp_path / "hidden-predictions")
    assert np.array_equal(pp.decisions, clf2.predict(new))
    assert pp.logits is None and pp.probabilities is None
    assert foldtrain.verify(pp).accepted
    claimed = foldtrain.inspect_bundle(pp)
    assert claimed.logits is None and "logits" not in claimed.to_dict()
    raw = {float(v) for v in np.asarray(new, dtype=np.float64).ravel()}
    public = [p for p in pp.predictions_path.parent.iterdir() if p.is_file()]
    assert {p.name for p in public} == {"predict.bundle", "predictions.json"}
    text = pp.predictions_path.read_text()
    assert "logit" not in text and "probability" not in text
    assert not raw & set(_numbers(json.loads(text))), "raw inputs in the public predictions file"
    for path in public:
        data = path.read_bytes()
        assert not any(struct.pack("<d", v) in data for v in raw), f"{path.name} holds a raw input"
    assert pp.private_predictions_path == pp.predictions_path.parent / "private" / "predictions.json"
    held = json.loads(pp.private_predictions_path.read_text())
    assert raw <= set(_numbers(held)), "the holder's file keeps the raw inputs"
    assert np.allclose([r["logit"] for r in held["rows"]], clf2.decision_function(new))


def _numbers(value):
    """Every number in a JSON value."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [float(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_estimate_reports_a_plan(small):
    X, y = small
    e = foldtrain.estimate(X, y, **RECIPE)
    assert e.steps >= 1 and e.recipe.epochs == RECIPE["epochs"]
    assert json.dumps(e.to_dict())  # a plain dict, as `foldtrain --json estimate` prints


def test_accuracy_beside_scikit_learn_on_a_shipped_dataset(tmp_path):
    """Documented, not asserted to equality: the README's Python section
    quotes this comparison. Both models are fitted on the same first 80% of
    breast_cancer.csv and scored on the rest."""
    pd = pytest.importorskip("pandas")
    linear_model = pytest.importorskip("sklearn.linear_model")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    frame = pd.read_csv(REPO / "datasets" / "breast_cancer.csv")
    X, y = frame.drop(columns="label"), frame["label"]
    n = int(len(frame) * 0.8)
    clf = foldtrain.ProvenLogisticRegression(epochs=3, progress=False).fit(X[:n], y[:n], out_dir=tmp_path)
    ours = clf.score(X[n:], y[n:])
    scaler = preprocessing.StandardScaler().fit(X[:n])
    sk = linear_model.LogisticRegression(max_iter=1000).fit(scaler.transform(X[:n]), y[:n])
    theirs = sk.score(scaler.transform(X[n:]), y[n:])
    print(f"\nbreast_cancer test accuracy: foldtrain {ours:.4f} (3 epochs, proven), scikit-learn {theirs:.4f}")
    assert ours > 0.85 and theirs > 0.85


def test_without_tqdm_fit_says_each_phase_on_stderr(small, tmp_path, monkeypatch, capfd):
    # Issue 31: with no optional package, fit used to print nothing for
    # the whole run. tqdm made unimportable: a line per phase on stderr.
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = small
    foldtrain.ProvenLogisticRegression(epochs=1, batch_size=16).fit(X, y, out_dir=tmp_path / "run")
    err = capfd.readouterr().err
    for said in ["setting up parameters", "folding: ", " steps [", "compressing the proof", "checking the bundle"]:
        assert said in err, err


def test_typed_results_are_the_clis_reports_and_match_the_stub(fitted, cli):
    """The bindings return the library's reports as typed objects: each
    one's dict is what the CLI prints with --json, and `_foldtrain.pyi`
    names every class, attribute and function the module has."""
    import ast

    from foldtrain import _foldtrain

    run = subprocess.run(
        [str(cli), "--json", "inspect", str(fitted.bundle_)], check=True, capture_output=True, text=True
    )
    claimed = foldtrain.inspect_bundle(fitted)
    assert isinstance(claimed, _foldtrain.Inspection)
    assert claimed.to_dict() == json.loads(run.stdout)
    assert isinstance(fitted.report_, _foldtrain.ProveResult) and fitted.report_.to_dict()["steps"] == fitted.report_.steps
    model = _foldtrain.read_model(fitted.model_path_)
    assert model.weights == list(fitted.weights_) and model.feature_names == ["x0", "x1", "x2"]
    assert model.to_dict() == json.loads(fitted.model_path_.read_text())

    stub = ast.parse((REPO / "python" / "foldtrain" / "_foldtrain.pyi").read_text())
    classes = {
        c.name: {f.name for f in c.body if isinstance(f, ast.FunctionDef)}
        for c in stub.body
        if isinstance(c, ast.ClassDef)
    }
    functions = {f.name for f in stub.body if isinstance(f, ast.FunctionDef)}
    for name in dir(_foldtrain):
        value = getattr(_foldtrain, name)
        if name.startswith("_"):
            continue
        if isinstance(value, type):
            assert name in classes, f"{name} is not in the stub"
            if issubclass(value, BaseException):
                continue
            public = {a for a in dir(value) if not a.startswith("_")}
            assert public == {a for a in classes[name] if not a.startswith("_")}, name
        elif callable(value):
            assert name in functions, f"{name} is not in the stub"


def test_a_private_normalizer_is_proven_and_linked_by_its_commitment(small, tmp_path):
    # Issue 34: with the normalizer private, the preprocessing statement and
    # raw predictions state only C_N, the one model.public.json lists; the
    # chain audit links the three by it.
    X, y = small
    cd = foldtrain.commit(X, y, tmp_path, train_fraction=0.75)
    clf = foldtrain.ProvenLogisticRegression(
        progress=False, private_weights=True, private_normalizer=True, **RECIPE
    )
    clf.fit(cd.X_train, cd.y_train, commitment=cd, out_dir=tmp_path / "run")
    public = json.loads((tmp_path / "run" / "model.public.json").read_text())
    c_n = public["normalizer_commitment"]
    assert public["normalizer"] is None and c_n
    prep = foldtrain.prove_preprocessing(cd, private_normalizer=True)
    assert prep.means is None and prep.stds is None and prep.normalizer_commitment == c_n
    assert foldtrain.verify(prep).accepted
    new = X[:5] + 0.25
    raw = foldtrain.prove_predict(clf, new, out_dir=tmp_path / "raw", raw=True)
    assert np.array_equal(raw.decisions, clf.predict(new))
    a = foldtrain.audit(clf, predict=raw, preprocessing=prep, commitment=cd)
    assert a.passed
    linked = [l for l in a.report.links if "normalizer" in l.name]
    assert len(linked) == 3 and all(c_n in l.detail for l in linked)


def test_C_is_scikit_learns_inverse_l2_strength(small, tmp_path):
    # Issue 35: C proves the recipe with lambda = 1 / (C n); a C that is not
    # a positive number is refused before anything is written.
    X, y = small
    with pytest.raises(foldtrain.InvalidParameterError, match="C must be positive"):
        foldtrain.ProvenLogisticRegression(C=0.0, progress=False, **RECIPE).fit(X, y, out_dir=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    clf = foldtrain.ProvenLogisticRegression(C=0.01, progress=False, **RECIPE)
    clf.fit(X, y, out_dir=tmp_path / "l2")
    recipe = foldtrain._foldtrain.read_model(str(clf.model_path_)).recipe
    assert recipe.l2 == pytest.approx(1 / (0.01 * len(X)))
    assert foldtrain.verify(clf).accepted
    plain = foldtrain.ProvenLogisticRegression(progress=False, **RECIPE).fit(X, y, out_dir=tmp_path / "plain")
    assert np.linalg.norm(clf.weights_) < np.linalg.norm(plain.weights_)


def test_class_weight_is_scikit_learns(small, tmp_path):
    # Issue 35: class_weight="balanced" proves the recipe with scikit-learn's
    # n / (2 n_c) (rounded to 2^-8, as the recipe records them); a dict gives
    # them directly; anything else is refused before anything is written.
    from sklearn.utils.class_weight import compute_class_weight

    X, y = small
    for bad in ["heavy", {2: 1.0}, [1.0, 2.0]]:
        with pytest.raises(foldtrain.InvalidParameterError, match="class_weight"):
            foldtrain.ProvenLogisticRegression(class_weight=bad, progress=False, **RECIPE).fit(
                X, y, out_dir=tmp_path / "bad"
            )
        assert not (tmp_path / "bad").exists()
    clf = foldtrain.ProvenLogisticRegression(class_weight="balanced", progress=False, **RECIPE)
    clf.fit(X, y, out_dir=tmp_path / "balanced")
    recipe = foldtrain._foldtrain.read_model(str(clf.model_path_)).recipe
    sk = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    assert list(recipe.class_weights) == [round(w * 256) / 256 for w in sk]
    assert foldtrain.verify(clf).accepted
    given = foldtrain.ProvenLogisticRegression(class_weight={0: 1.0, 1: 3.0}, progress=False, **RECIPE)
    given.fit(X, y, out_dir=tmp_path / "given")
    assert list(foldtrain._foldtrain.read_model(str(given.model_path_)).recipe.class_weights) == [1.0, 3.0]


def test_fairness_counts_by_a_committed_group(small, tmp_path):
    # Issue 35: a protected attribute committed with the test rows is not a
    # feature, and prove_eval(group=) proves each group's counts, which add
    # up to the counts; a name other than the committed one is refused.
    import pandas as pd

    X, y = small
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["grp"] = np.arange(len(frame)) % 2
    cd = foldtrain.commit(frame, y, tmp_path / "c", train_fraction=0.75, group="grp")
    assert cd.group == "grp" and cd.feature_names == ["a", "b", "c"]
    assert cd.X_train.shape == (48, 3)
    clf = foldtrain.ProvenLogisticRegression(progress=False, **RECIPE)
    clf.fit(pd.DataFrame(cd.X_train, columns=cd.feature_names), cd.y_train, commitment=cd)
    with pytest.raises(ValueError, match="--group grp|group"):
        foldtrain.prove_eval(clf, cd, group="sex")
    ev = foldtrain.prove_eval(clf, cd, group="grp")
    fair = ev.fairness
    assert [g["label"] for g in fair["groups"]] == ["grp=0", "grp=1"]
    total = {k: sum(g["counts"][k] for g in fair["groups"]) for k in ("tp", "fp", "tn", "fn")}
    assert total == {"tp": ev.counts.tp, "fp": ev.counts.fp, "tn": ev.counts.tn, "fn": ev.counts.fn}
    assert sum(g["rows"] for g in fair["groups"]) == 16
    assert fair["disparate_impact_ratio"] is None or 0.0 <= fair["disparate_impact_ratio"] <= 1.0
    assert foldtrain.verify(ev).accepted
