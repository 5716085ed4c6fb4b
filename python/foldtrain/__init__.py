"""foldtrain: zero-knowledge proofs of logistic-regression training.

The Rust library (``foldtrain._foldtrain``) does the work; this module gives
it the conventions of scikit-learn::

    import foldtrain
    clf = foldtrain.ProvenLogisticRegression(epochs=10)
    clf.fit(X, y)                      # trains and proves the training
    foldtrain.verify(clf.bundle_)      # what a verifier runs
    clf.predict(X_new)

Every file goes to an output folder (``out_dir``, a new temporary folder by
default) laid out as the CLI lays it out: public files at its top, private
ones (the training data, the opening of the commitment, checkpoints,
private models) under ``private/`` with owner-only permissions.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import numbers
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import _foldtrain
from ._foldtrain import ProofRejected

__version__ = _foldtrain.__version__

__all__ = [
    "ProvenLogisticRegression",
    "CommittedData",
    "Verification",
    "Verifier",
    "Audit",
    "EvalProof",
    "PredictProof",
    "ProofRejected",
    "InvalidParameterError",
    "commit",
    "verify",
    "audit",
    "estimate",
    "inspect_bundle",
    "prove_eval",
    "prove_predict",
    "prove_preprocessing",
    "PreprocessingProof",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Union[None, bool, Callable[[str, int, int], Any]]

#: The training data's file, under the output folder's ``private/``.
DATA_FILE = "data.csv"
_LABEL = "label"


# ---------------------------------------------------------------------------
# Tables: numpy arrays or pandas DataFrames to the CSV the library reads.


def _table(X: Any, feature_names: Optional[Sequence[str]] = None) -> tuple[list[str], np.ndarray, bool]:
    """The feature names, the values as a 2-D float array, and whether the
    names came from the data (a DataFrame's columns)."""
    from_frame = hasattr(X, "columns") and hasattr(X, "to_numpy")
    if from_frame:
        names = [str(c) for c in X.columns]
    try:
        values = np.asarray(X.to_numpy() if from_frame else X, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"X must hold numbers only ({e}); encode categorical columns first, "
            "for example with pandas.get_dummies"
        ) from None
    if values.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got shape {values.shape}; "
            "reshape a single feature with X.reshape(-1, 1), a single sample with X.reshape(1, -1)"
        )
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(f"X is empty (shape {values.shape}); give at least one row and one feature")
    if not from_frame:
        names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(values.shape[1])]
    if len(names) != values.shape[1]:
        raise ValueError(f"{len(names)} feature names for {values.shape[1]} columns of X")
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = map(int, np.argwhere(bad)[0])
        raise ValueError(
            f"X has {int(bad.sum())} NaN or infinite values (the first at row {r}, column "
            f"{names[c]!r}); impute or drop them first"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"feature names must be distinct, got {names}")
    for n in names:
        # The library reads names without surrounding spaces (and a byte
        # order mark): `"age "` would become `"age"`, another column's name.
        if n != n.strip() or n.startswith("\ufeff"):
            raise ValueError(f"feature name {n!r} begins or ends with white space; strip it")
        if n == _LABEL or not n:
            raise ValueError(
                f"{n!r} cannot name a feature (empty, or the reserved label column); rename it"
            )
    return names, values, from_frame


def _labels(y: Any, rows: int, classes: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """The two classes (sorted) and ``y`` as 0/1, 1 for the second class."""
    raw = np.asarray(y, dtype=object) if not isinstance(y, np.ndarray) else y
    if raw.dtype == object:
        # np.asarray would turn [1, "1"] into two equal strings.
        kinds = {isinstance(v, str) for v in raw.ravel().tolist()}
        if len(kinds) > 1:
            raise ValueError("y mixes string and number labels; give labels of one type")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}")
    if y.shape[0] != rows:
        raise ValueError(f"X has {rows} rows but y has {y.shape[0]} labels")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"y has {int(np.isnan(y).sum())} NaN labels; drop those rows or label them")
    if classes is None:
        try:
            classes = np.unique(y)
        except TypeError:
            raise ValueError("y's labels cannot be sorted; give numbers or strings") from None
        if len(classes) != 2:
            raise ValueError(
                f"logistic regression here is binary: y has {len(classes)} "
                f"class{'es' if len(classes) != 1 else ''} ({classes.tolist()[:5]}); give two"
            )
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(
            f"y has labels outside the classes {np.asarray(classes).tolist()}: {np.unique(y[unknown]).tolist()[:5]}"
        )
    return classes, (y == classes[1]).astype(np.int64)


def _csv_text(names: list[str], values: np.ndarray, labels: Optional[np.ndarray]) -> str:
    """The table as CSV, each float as Python's repr, which reads back to
    the same double."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(names + ([_LABEL] if labels is not None else []))
    for i, row in enumerate(values.tolist()):
        cells = [repr(v) for v in row]
        if labels is not None:
            cells.append(str(int(labels[i])))
        w.writerow(cells)
    return buf.getvalue()


def _write_csv(path: Path, names: list[str], values: np.ndarray, labels: Optional[np.ndarray]) -> None:
    """Writes the table atomically, owner-only (it is private data)."""
    _write_private(path, _csv_text(names, values, labels))


def _write_private(path: Path, text: str) -> None:
    """Atomically and owner-only, by the library's rule for private files."""
    _foldtrain.write_private(str(path), text.encode("utf-8"))


def _write_data(out: Path, names: list[str], values: np.ndarray, labels: np.ndarray, force: bool, what: str) -> Path:
    """Writes the rows a commitment will be made to as ``private/data.csv``
    of ``out``, and returns its path. An earlier run's rows are replaced
    only with ``force``, and never in a folder that keeps an opening: the
    library never replaces an opening, so the run would be refused, and the
    rows that opening opens must stay."""
    data = _private(out) / DATA_FILE
    text = _csv_text(names, values, labels)
    if data.exists():
        if not force:
            raise ValueError(f"{data} exists ({what}); pass force=True or choose another out_dir")
        if data.read_bytes() == text.encode("utf-8"):
            return data
    opening = Path(_foldtrain.opening_path(str(out)))
    if opening.exists():
        raise ValueError(
            f"{opening} holds the opening of an earlier commitment, which is never replaced, and "
            f"{data} would no longer hold its rows; choose another out_dir"
        )
    _write_private(data, text)
    return data


def _private(out_dir: Path) -> Path:
    """The private folder of ``out_dir``, made owner-only by the library."""
    return Path(_foldtrain.private_folder(str(out_dir)))


def _out_dir(out_dir: Optional[PathLike]) -> Path:
    if out_dir is None:
        return Path(tempfile.mkdtemp(prefix="foldtrain-"))
    return Path(out_dir)


# ---------------------------------------------------------------------------
# Parameters, checked as scikit-learn checks them.


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type (as scikit-learn's, both a ValueError
    and a TypeError)."""


def _integer(name: str, v: Any, optional: bool = False) -> Optional[int]:
    if v is None and optional:
        return None
    if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)):
        return int(v)
    kind = "an integer or None" if optional else "an integer"
    raise InvalidParameterError(f"{name} must be {kind}, got {v!r}")


def _real(name: str, v: Any, optional: bool = False) -> Any:
    if optional and v is None:
        return None
    if isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)):
        return float(v)
    raise InvalidParameterError(f"{name} must be a number{' or None' if optional else ''}, got {v!r}")


def _switch(name: str, v: Any) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    raise InvalidParameterError(f"{name} must be True or False, got {v!r}")


def _string(name: str, v: Any, optional: bool = False) -> Any:
    if isinstance(v, str) or (optional and v is None):
        return v
    raise InvalidParameterError(f"{name} must be a string{' or None' if optional else ''}, got {v!r}")


# ---------------------------------------------------------------------------
# Progress during folding.


class _Tqdm:
    """Draws the prover's progress with tqdm."""

    def __init__(self, tqdm: Any) -> None:
        self._tqdm = tqdm
        self._bar = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "fold":
            if self._bar is None:
                self._bar = self._tqdm(total=total, desc="folding", unit="step")
            self._bar.n = done
            self._bar.refresh()
            return
        self.close()
        self._tqdm.write({"setup": "setting up parameters and keys", "compress": "compressing the proof",
                          "check": "checking the bundle"}.get(phase, phase))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _Lines:
    """Draws the prover's progress without optional packages: a line on
    stderr as each phase begins, and while folding one at every tenth of
    the steps, each with the seconds since the run began."""

    _SAYS = {"setup": "setting up parameters and keys", "compress": "compressing the proof",
             "check": "checking the bundle"}

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._phase: Optional[str] = None
        self._next = 0

    def _say(self, text: str) -> None:
        print(f"foldtrain: {text} [{time.monotonic() - self._start:.0f} s]", file=sys.stderr, flush=True)

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "fold":
            if self._phase != "fold":
                self._phase = "fold"
                self._next = done
            if done >= self._next and total > 0:
                self._say(f"folding: {done}/{total} steps")
                self._next = done + max(1, total // 10)
            return
        self._phase = phase
        self._say(self._SAYS.get(phase, phase))


def _progress(progress: Progress) -> Optional[Callable[[str, int, int], Any]]:
    """``None``: tqdm when it is installed, else a line per phase on
    stderr; ``False``: nothing; a callable: ``progress(phase, done, total)``
    with phase one of "setup", "fold", "compress", "check"."""
    if progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Lines()
    return _Tqdm(tqdm)


def _run(fn: Callable[..., Any], *args: Any, progress: Progress = None, **kwargs: Any) -> Any:
    cb = _progress(progress)
    try:
        return fn(*args, progress=cb, **kwargs)
    finally:
        if isinstance(cb, _Tqdm):
            cb.close()


# ---------------------------------------------------------------------------
# Committing to data before training.


@dataclass
class CommittedData:
    """Data committed to before training (what :func:`commit` returns).

    ``commitment_path`` (``commitment.json``) is public: publish it before
    training. The data and the opening are private, under ``private/``.
    The split is the library's, as the CLI splits: the first
    ``floor(rows * train_fraction)`` rows (in order) train, the rest test;
    ``X_train``, ``y_train``, ``X_test``, ``y_test`` are those rows, as the
    library reads them. ``report`` is ``commit``'s report
    (:class:`foldtrain._foldtrain.CommitResult`).
    """

    out_dir: Path
    commitment: str
    test_commitment: str
    train_rows: int
    test_rows: int
    feature_names: list[str]
    classes: np.ndarray
    report: _foldtrain.CommitResult = field(repr=False)
    #: The protected attribute committed with the test rows, if any.
    group: Optional[str] = None

    @property
    def commitment_path(self) -> Path:
        return Path(self.report.commitment_path)

    @property
    def data_path(self) -> Path:
        return _private(self.out_dir) / DATA_FILE

    @property
    def opening_path(self) -> Path:
        return Path(self.report.opening_path)

    def _split(self, test: bool) -> tuple[np.ndarray, np.ndarray]:
        splits = _foldtrain.split(str(self.data_path), self.public().train_fraction, self.group)
        part = splits[1] if test else splits[0]
        values = np.array(part.rows, dtype=np.float64).reshape(len(part.rows), len(part.feature_names))
        return values, self.classes[np.array(part.labels, dtype=np.int64)]

    @property
    def X_train(self) -> np.ndarray:
        return self._split(False)[0]

    @property
    def y_train(self) -> np.ndarray:
        return self._split(False)[1]

    @property
    def X_test(self) -> np.ndarray:
        return self._split(True)[0]

    @property
    def y_test(self) -> np.ndarray:
        return self._split(True)[1]

    def public(self) -> _foldtrain.Commitments:
        """``commitment.json`` (what the data owner publishes), as the
        library reads it: ``train.commitment``, ``test.rows``,
        ``train_fraction``..."""
        return _foldtrain.read_commitment(str(self.commitment_path))


def commit(
    X: Any,
    y: Any,
    out_dir: Optional[PathLike] = None,
    *,
    train_fraction: float = 0.8,
    feature_names: Optional[Sequence[str]] = None,
    frac_bits: Optional[int] = None,
    feature_frac_bits: Optional[int] = None,
    group: Optional[str] = None,
    force: bool = False,
) -> CommittedData:
    """Commits to the data's training and test rows before any training, as
    ``foldtrain commit`` does: writes ``commitment.json`` (public) and, under
    ``private/``, the data and the opening (secret).

    ``group``: a protected attribute (a column of ``X``, or the prefix of
    one-hot columns ``group_*``; at most 8 groups), committed with the test
    rows (``foldtrain commit --group``) so that :func:`prove_eval` with
    ``group=`` proves each group's counts. Its columns are not features:
    ``X_train`` and ``X_test`` leave them out."""
    names, values, _ = _table(X, feature_names)
    classes, labels = _labels(y, values.shape[0])
    out = _out_dir(out_dir)
    data = _write_data(out, names, values, labels, force, "an earlier commitment's data")
    report = _foldtrain.commit(
        str(data), str(out), train_fraction=train_fraction, frac_bits=frac_bits,
        feature_frac_bits=feature_frac_bits, group=_string("group", group, optional=True), force=force,
    )
    taken = set(report.group_columns)
    return CommittedData(
        out_dir=out,
        commitment=report.commitment,
        test_commitment=report.test_commitment,
        train_rows=report.rows,
        test_rows=report.test_rows,
        feature_names=[n for n in names if n not in taken],
        classes=classes,
        report=report,
        group=report.group,
    )


# ---------------------------------------------------------------------------
# The estimator.


def _class_weight(value: Any) -> tuple[bool, Optional[tuple[float, float]]]:
    """``class_weight`` as the library takes it: (balanced, (w0, w1) or
    None). Accepts scikit-learn's forms: None, "balanced", {0: w0, 1: w1}
    (a missing class weighs 1)."""
    if value is None:
        return False, None
    if isinstance(value, str):
        if value == "balanced":
            return True, None
        raise InvalidParameterError(f'class_weight must be None, "balanced" or {{0: w0, 1: w1}}, got {value!r}')
    if isinstance(value, dict):
        unknown = [k for k in value if k not in (0, 1)]
        if unknown:
            raise InvalidParameterError(f"class_weight's keys are the classes 0 and 1, got {unknown!r}")
        weights = tuple(_real(f"class_weight[{c}]", value.get(c, 1.0)) for c in (0, 1))
        return False, (weights[0], weights[1])
    raise InvalidParameterError(f'class_weight must be None, "balanced" or {{0: w0, 1: w1}}, got {value!r}')


class ProvenLogisticRegression:
    """Logistic regression trained by mini-batch gradient descent in fixed
    point, with a zero-knowledge proof of the training.

    ``fit`` trains on every row it is given (no hidden split), exactly as
    ``foldtrain prove --train-fraction 1.0`` does on the same rows, and
    proves it; with ``commitment=`` it proves against data committed before
    (see :func:`commit`). Parameters are the CLI's flags.

    Fitted attributes: ``classes_``, ``coef_`` and ``intercept_`` (in the
    units of the raw features), ``weights_`` and ``bias_`` (the proven
    weights, on z-scored features: the statement's), ``n_features_in_``,
    ``feature_names_in_`` (DataFrames only), ``bundle_`` (path of
    ``proof.bundle``), ``commitment_`` (the training data's commitment),
    ``proof_bytes_``, ``timings_`` (seconds), ``out_dir_``, ``model_path_``
    and ``report_`` (the whole report, a :class:`foldtrain._foldtrain.ProveResult`;
    its ``to_dict()`` is what ``foldtrain --json prove`` prints).

    ``C``: inverse strength of an L2 penalty on the weights (not the
    intercept), as scikit-learn's ``LogisticRegression(C=...)``: the recipe's
    ``lambda = 1 / (C * n)`` for ``n`` training rows, each batch updating
    ``w -= learning_rate * (grad + lambda * w)`` (``foldtrain prove --l2
    LAMBDA``). ``None`` (the default): no penalty; scikit-learn's default is
    ``C=1.0``.

    ``class_weight``: as scikit-learn's, ``None`` (every row weighs 1),
    ``"balanced"`` (``n / (2 n_c)`` for class ``c`` from the training labels)
    or a dict ``{0: w0, 1: w1}``: each row's gradient is scaled by its
    class's weight (``foldtrain prove --class-weight``), rounded to
    ``2^-8``; the recipe records the two numbers (``recipe.class_weights``),
    so balanced weights reveal the training rows' class ratio to that
    precision.
    """

    def __init__(
        self,
        epochs: int = 10,
        learning_rate: float = 0.1,
        C: Optional[float] = None,
        class_weight: Optional[Any] = None,
        batch_size: int = 32,
        sigmoid: str = "hard4",
        private_weights: bool = False,
        private_normalizer: bool = False,
        batches_per_step: Optional[int] = None,
        frac_bits: Optional[int] = None,
        feature_frac_bits: Optional[int] = None,
        checkpoint_every: Optional[int] = None,
        progress: Progress = None,
    ) -> None:
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.C = C
        self.class_weight = class_weight
        self.batch_size = batch_size
        self.sigmoid = sigmoid
        self.private_weights = private_weights
        self.private_normalizer = private_normalizer
        self.batches_per_step = batches_per_step
        self.frac_bits = frac_bits
        self.feature_frac_bits = feature_frac_bits
        self.checkpoint_every = checkpoint_every
        self.progress = progress

    # scikit-learn's parameter protocol ------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "ProvenLogisticRegression":
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults.get(k)]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _recipe(self, rows: int = 0) -> _foldtrain.RecipeArgs:
        """The parameters as the library takes them, each of its type (a
        float epoch count is refused, not truncated; a string is no switch);
        ``rows``: the training rows, which ``C`` is relative to."""
        C = _real("C", self.C, optional=True)
        if C is not None and not C > 0:
            raise InvalidParameterError(f"C must be positive (the inverse of the L2 strength), got {C!r}")
        l2 = 0.0 if C is None or rows == 0 else 1.0 / (C * rows)
        balanced, given = _class_weight(self.class_weight)
        return dict(
            epochs=_integer("epochs", self.epochs),
            learning_rate=_real("learning_rate", self.learning_rate),
            l2=l2,
            class_weight=given,
            class_weight_balanced=balanced,
            batch_size=_integer("batch_size", self.batch_size),
            batches_per_step=_integer("batches_per_step", self.batches_per_step, optional=True),
            sigmoid=_string("sigmoid", self.sigmoid),
            private_weights=_switch("private_weights", self.private_weights),
            frac_bits=_integer("frac_bits", self.frac_bits, optional=True),
            feature_frac_bits=_integer("feature_frac_bits", self.feature_frac_bits, optional=True),
        )

    # Training --------------------------------------------------------------

    def fit(
        self,
        X: Any,
        y: Any,
        out_dir: Optional[PathLike] = None,
        *,
        commitment: Optional[CommittedData] = None,
        force: bool = False,
        segments: Optional[int] = None,
    ) -> "ProvenLogisticRegression":
        """Trains on every row of ``X``, ``y`` and proves the training.

        ``out_dir``: the output folder (default: a new temporary folder; not
        the commitment's, which holds that commitment's files). ``commitment``: data committed before with
        :func:`commit`; ``X``, ``y`` must then be its training rows
        (``commitment.X_train``, ``commitment.y_train``). Ctrl-C stops after
        the current step with a checkpoint; :meth:`resume` finishes the run.
        ``segments``: prove the run in that many segments, each a Ray task
        (see :mod:`foldtrain.distributed`; no checkpoints then).
        """
        return self._fit(X, y, out_dir, commitment=commitment, force=force, segments=segments, num_cpus=1)

    def _fit(
        self,
        X: Any,
        y: Any,
        out_dir: Optional[PathLike],
        *,
        commitment: Optional[CommittedData],
        force: bool,
        segments: Optional[int],
        num_cpus: float,
    ) -> "ProvenLogisticRegression":
        # A parameter of the wrong type is refused before anything is written.
        recipe = self._recipe()
        private_normalizer = _switch("private_normalizer", self.private_normalizer)
        checkpoint_every = _integer("checkpoint_every", self.checkpoint_every, optional=True)
        names, values, from_frame = _table(X)
        recipe = self._recipe(values.shape[0])
        if commitment is not None:
            if not isinstance(commitment, CommittedData):
                raise ValueError("commitment must be what foldtrain.commit returned")
            classes, _ = _labels(y, values.shape[0], commitment.classes)
            if names != commitment.feature_names and from_frame:
                raise ValueError(f"X has the columns {names}; the commitment's are {commitment.feature_names}")
            X_train, y_train = commitment.X_train, commitment.y_train
            if values.shape != X_train.shape or not np.array_equal(values, X_train) or not np.array_equal(
                np.asarray(y).ravel(), y_train
            ):
                raise ValueError(
                    "X, y are not the committed training rows; fit on commitment.X_train, "
                    "commitment.y_train (the first train_rows rows of the committed data)"
                )
            out = _out_dir(out_dir)
            data = commitment.data_path
            names = commitment.feature_names
            commitment_dir: Optional[str] = str(commitment.out_dir)
        else:
            classes, labels = _labels(y, values.shape[0])
            out = _out_dir(out_dir)
            data = _write_data(out, names, values, labels, force, "an earlier run's data")
            commitment_dir = None
        self._pending = dict(out=out, names=names, classes=classes, from_frame=from_frame)
        # All rows given train; with a commitment, its split (the library
        # keeps it, and would warn of any other fraction).
        train_fraction = 1.0 if commitment is None else commitment.public().train_fraction
        if segments is not None:
            from . import distributed

            report = distributed.run(
                str(data),
                str(out),
                train_fraction=train_fraction,
                recipe=recipe,
                segments=_integer("segments", segments),
                commitment=commitment_dir,
                private_normalizer=private_normalizer,
                force=force,
                progress=self.progress,
                num_cpus=num_cpus,
            )
            self._fitted(report)
            return self
        try:
            report = _run(
                _foldtrain.prove,
                str(data),
                str(out),
                train_fraction=train_fraction,
                commitment=commitment_dir,
                private_normalizer=private_normalizer,
                checkpoint_every=checkpoint_every,
                force=force,
                progress=self.progress,
                recipe=recipe,
            )
        except KeyboardInterrupt as e:
            raise KeyboardInterrupt(f"{e}; in Python, call .resume() on this estimator to finish") from None
        self._fitted(report)
        return self

    def resume(self, checkpoint_dir: Optional[PathLike] = None, *, force: bool = False) -> "ProvenLogisticRegression":
        """Finishes a ``fit`` that Ctrl-C (or a crash) stopped, from its
        checkpoints (default: ``private/checkpoints`` of its output folder)."""
        pending = getattr(self, "_pending", None)
        if pending is None:
            raise ValueError("nothing to resume: this estimator has not started a fit")
        out = pending["out"]
        ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else Path(_foldtrain.checkpoint_dir(str(out)))
        report = _run(
            _foldtrain.resume,
            str(ckpt),
            str(out),
            checkpoint_every=self.checkpoint_every,
            force=force,
            progress=self.progress,
        )
        self._fitted(report)
        return self

    def _fitted(self, report: _foldtrain.ProveResult) -> None:
        p = self._pending
        model = _foldtrain.read_model(str(report.model_path))
        w = np.array(report.weights, dtype=np.float64)
        b = float(report.bias)
        means = np.array(model.means, dtype=np.float64)
        stds = np.array(model.stds, dtype=np.float64)
        scale = np.where(stds > 0, stds, 1.0)
        self.classes_ = p["classes"]
        self.n_features_in_ = len(p["names"])
        if p["from_frame"]:
            self.feature_names_in_ = np.array(p["names"], dtype=object)
        self._names = p["names"]
        self.weights_ = w
        self.bias_ = b
        self.coef_ = (w / scale).reshape(1, -1)
        self.intercept_ = np.array([b - float(np.sum(w * means / scale))])
        self.out_dir_ = p["out"]
        self.bundle_ = Path(report.bundle_path)
        self.model_path_ = Path(report.model_path)
        self.commitment_ = report.commitment
        self.proof_bytes_ = report.proof_bytes
        self.timings_ = {k: getattr(report, k) for k in ("command_s", "setup_s", "prove_s", "compress_s", "verify_s")}
        self.report_ = report
        self.warnings_ = list(report.warnings)

    # Prediction ------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_path_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    def _predictions(self, X: Any) -> list[_foldtrain.Prediction]:
        self._check_fitted()
        values = self._inputs(X)
        with tempfile.TemporaryDirectory(prefix="foldtrain-") as tmp:
            path = Path(tmp) / "inputs.csv"
            _write_csv(path, self._names, values, None)
            return _foldtrain.predict(str(self.model_path_), str(path))

    def _inputs(self, X: Any) -> np.ndarray:
        """``X`` as the fitted model's columns, checked."""
        names, values, from_frame = _table(X)
        if values.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {values.shape[1]} features; the model takes {self.n_features_in_}")
        if from_frame and names != self._names:
            raise ValueError(f"X has the columns {names}; the model was fitted on {self._names}")
        return values

    def decision_function(self, X: Any) -> np.ndarray:
        """The fixed-point logits (the arithmetic prove_predict proves)."""
        return np.array([r.logit for r in self._predictions(X)], dtype=np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[P(classes_[0]), P(classes_[1])]`` a row: the logistic function
        of the fixed-point logit."""
        p = np.array([r.probability for r in self._predictions(X)], dtype=np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """``classes_[1]`` where the logit is at least 0, else ``classes_[0]``."""
        d = np.array([r.decision for r in self._predictions(X)], dtype=np.int64)
        return self.classes_[d]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on ``X``, ``y`` (computed natively, not proven; see
        :func:`prove_eval` for a proven accuracy)."""
        y = np.asarray(y).ravel()
        return float(np.mean(self.predict(X) == y))


# ---------------------------------------------------------------------------
# Verifying and auditing.


def _bundle_path(bundle: Any, tmp: list) -> str:
    """A path for a bundle given as a path, as bytes, or as anything with a
    bundle (a fitted estimator, an EvalProof, a PredictProof)."""
    if isinstance(bundle, ProvenLogisticRegression):
        bundle._check_fitted()
        return str(bundle.bundle_)
    if isinstance(bundle, (EvalProof, PredictProof, PreprocessingProof)):
        return str(bundle.bundle)
    if isinstance(bundle, (bytes, bytearray, memoryview)):
        d = tempfile.TemporaryDirectory(prefix="foldtrain-")
        tmp.append(d)
        p = Path(d.name) / "proof.bundle"
        p.write_bytes(bytes(bundle))
        return str(p)
    if isinstance(bundle, (str, os.PathLike)):
        return os.fspath(bundle)
    raise TypeError(f"a bundle is a path, bytes or a fitted estimator, not {type(bundle).__name__}")


@dataclass
class Verification:
    """What :func:`verify` found. With ``accepted``, ``statement`` holds what
    the proof establishes (a :class:`foldtrain._foldtrain.Statement`, or an
    ``InferStatement`` for an evaluation or predictions bundle; its fields
    also read as attributes: ``v.weights``, ``v.commitment``, ``v.steps``,
    ``v.recipe.epochs``...); otherwise ``reason`` says why it was rejected.
    ``report`` is the library's report (``VerifyResult`` or
    ``InferVerifyResult``; ``report.to_dict()`` is ``foldtrain --json
    verify``'s)."""

    accepted: bool
    bundle: Optional[str]
    reason: Optional[str]
    statement: Union[None, _foldtrain.Statement, _foldtrain.InferStatement]
    report: Union[_foldtrain.VerifyResult, _foldtrain.InferVerifyResult] = field(repr=False)

    def __getattr__(self, name: str) -> Any:
        statement = self.__dict__.get("statement")
        if statement is not None and not name.startswith("_"):
            return getattr(statement, name)
        raise AttributeError(name)


def verify(
    bundle: Any,
    vk: Optional[PathLike] = None,
    *,
    vk_sha256: Optional[str] = None,
    model: Optional[PathLike] = None,
    raise_on_reject: bool = True,
) -> Verification:
    """Verifies a training, evaluation or predictions bundle, as ``foldtrain
    verify`` does. ``vk``: a verifier key file (``foldtrain keys``), used
    only with ``vk_sha256``, the sha256 you trust for it (a key file's own
    label proves nothing, so ``vk`` alone is refused with a ValueError);
    default: the key cache, else a key derived from the bundle's recipe. ``model``: also check that this model file holds the
    statement's weights; for a fitted estimator it defaults to the model
    file the estimator predicts with, so an accepted estimator predicts with
    the proven weights (its preprocessing, the normalizer, is published but
    not proven, as everywhere in foldtrain). A rejected proof raises
    :class:`ProofRejected` (its ``verification`` attribute holds the
    result), unless ``raise_on_reject=False``."""
    if model is None and isinstance(bundle, ProvenLogisticRegression):
        bundle._check_fitted()
        model = bundle.model_path_
    return _verified(
        bundle,
        lambda path: _foldtrain.verify(
            path,
            model=None if model is None else os.fspath(model),
            vk=None if vk is None else os.fspath(vk),
            vk_sha256=vk_sha256,
        ),
        raise_on_reject,
    )


def _verified(bundle: Any, check: Callable[[str], Any], raise_on_reject: bool) -> Verification:
    """``check(path)`` of ``bundle`` (see :func:`_bundle_path`) as a
    :class:`Verification`, raising :class:`ProofRejected` for a rejected
    proof when ``raise_on_reject``."""
    tmp: list = []
    try:
        path = _bundle_path(bundle, tmp)
        report = check(path)
    finally:
        for d in tmp:
            d.cleanup()
    v = Verification(
        accepted=report.accepted,
        # Bytes were checked from a temporary file that is gone now.
        bundle=None if tmp else path,
        reason=report.reason,
        statement=report.statement,
        report=report,
    )
    if not v.accepted and raise_on_reject:
        e = ProofRejected(f"proof rejected: {v.reason}")
        e.verification = v
        raise e
    return v


class Verifier:
    """Verifies many bundles, holding each verifier key across calls, as a
    service or a notebook checking hundreds of proofs wants: the key is read
    or derived once, not once a bundle.

    ``Verifier(vk, vk_sha256=HEX)`` checks every bundle with the key file
    ``vk`` (from ``foldtrain keys``), read once and refused unless its
    sha256 is ``vk_sha256``, the hash you trust (a bundle of another spec is
    then a ``ValueError``, as with :func:`verify`). ``Verifier()`` takes
    each spec's key from the key cache, else derives it, and keeps it for
    the later bundles of that spec. Each bundle is still checked in full
    against its own statement. A model file is checked by :func:`verify`
    (``model=``), not here."""

    def __init__(self, vk: Optional[PathLike] = None, *, vk_sha256: Optional[str] = None) -> None:
        self._inner = _foldtrain.Verifier(
            vk=None if vk is None else os.fspath(vk), vk_sha256=vk_sha256
        )

    def verify(self, bundle: Any, *, raise_on_reject: bool = True) -> Verification:
        """Verifies ``bundle`` (a path, bytes, a fitted estimator, an
        EvalProof or a PredictProof) as :func:`verify` does, with the held
        keys."""
        return _verified(bundle, self._inner.verify, raise_on_reject)


def inspect_bundle(bundle: Any) -> Union[_foldtrain.Inspection, _foldtrain.InferInspection]:
    """What a bundle claims, without verifying it (``foldtrain inspect``):
    none of its figures is proven here, and the result says so with
    ``verified`` False (:func:`verify` checks them). The statement's fields
    read as attributes (``kind``, ``weights``, ``counts``...);
    ``to_dict()`` is ``foldtrain --json inspect``'s report."""
    tmp: list = []
    try:
        return _foldtrain.inspect(_bundle_path(bundle, tmp))
    finally:
        for d in tmp:
            d.cleanup()


def _as_list(value: Any) -> list:
    """None as [], one path or string as [it], a sequence as a list."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [value]
    return list(value)


@dataclass
class Audit:
    """What :func:`audit` found: ``passed``, and the audit's report: a
    :class:`foldtrain._foldtrain.TrainingAudit`, or a ``ChainAudit``
    (``report.evaluation.key_origin``, ``report.links``...) when links were
    checked; ``report.to_dict()`` is what ``foldtrain --json audit``
    prints (less ``passed``)."""

    passed: bool
    report: Union[_foldtrain.TrainingAudit, _foldtrain.ChainAudit]


def audit(
    train: Any,
    *,
    eval: Any = None,
    predict: Any = None,
    preprocessing: Any = None,
    commitment: Union[None, CommittedData, PathLike] = None,
    data: Optional[PathLike] = None,
    opening: Optional[PathLike] = None,
    model: Optional[PathLike] = None,
    report: Optional[PathLike] = None,
    vk: Union[None, PathLike, Sequence[PathLike]] = None,
    vk_sha256: Union[None, str, Sequence[str]] = None,
    raise_on_reject: bool = True,
) -> Audit:
    """Audits a training bundle (``foldtrain audit``); with ``eval``,
    ``predict``, ``preprocessing`` (a :class:`PreprocessingProof` or its
    bundle), ``commitment`` or ``report`` (an HTML file to write), the
    chain of statements about one model. ``vk``: verifier key files
    (``foldtrain keys``, one per statement: training, evaluation,
    predictions), each used only with its pin in ``vk_sha256`` (in the same
    order); default: the key cache, else keys derived from the statements.
    A failed audit raises :class:`ProofRejected` (its ``audit`` attribute
    holds the result), unless ``raise_on_reject=False``."""
    tmp: list = []
    if isinstance(commitment, CommittedData):
        commitment = commitment.commitment_path
    if model is None and isinstance(train, ProvenLogisticRegression):
        # The estimator's own model file: checked against the statement,
        # and it names the features in the report.
        train._check_fitted()
        model = train.model_path_
    opt = lambda p: None if p is None else os.fspath(p)  # noqa: E731
    try:
        r = _foldtrain.audit(
            _bundle_path(train, tmp),
            eval=None if eval is None else _bundle_path(eval, tmp),
            predict=None if predict is None else _bundle_path(predict, tmp),
            preprocessing=None if preprocessing is None else _bundle_path(preprocessing, tmp),
            commitment=opt(commitment),
            data=opt(data),
            opening=opt(opening),
            model=opt(model),
            report=opt(report),
            vk=[os.fspath(p) for p in _as_list(vk)],
            vk_sha256=list(_as_list(vk_sha256)),
        )
    finally:
        for d in tmp:
            d.cleanup()
    a = Audit(passed=r.passed, report=r.report)
    if not a.passed and raise_on_reject:
        e = ProofRejected("audit failed: " + json.dumps(r.to_dict(), indent=2))
        e.audit = a
        raise e
    return a


# ---------------------------------------------------------------------------
# Estimates, proven evaluation and proven predictions.


def estimate(
    X: Any,
    y: Any,
    *,
    epochs: int = 10,
    learning_rate: float = 0.1,
    batch_size: int = 32,
    sigmoid: str = "hard4",
    private_weights: bool = False,
    batches_per_step: Optional[int] = None,
    frac_bits: Optional[int] = None,
    feature_frac_bits: Optional[int] = None,
) -> _foldtrain.EstimateResult:
    """What proving ``fit(X, y)`` with these settings would cost on this
    machine (time, memory, proof size), by timing a few steps
    (``foldtrain estimate``): the library's report (``e.steps``,
    ``e.estimated_total_s``...; ``e.to_dict()`` is ``foldtrain --json
    estimate``'s)."""
    recipe = ProvenLogisticRegression(
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        sigmoid=sigmoid,
        private_weights=private_weights,
        batches_per_step=batches_per_step,
        frac_bits=frac_bits,
        feature_frac_bits=feature_frac_bits,
    )._recipe()
    names, values, _ = _table(X)
    _, labels = _labels(y, values.shape[0])
    with tempfile.TemporaryDirectory(prefix="foldtrain-") as tmp:
        data = Path(tmp) / DATA_FILE
        _write_csv(data, names, values, labels)
        return _foldtrain.estimate(str(data), train_fraction=1.0, recipe=recipe)


def _model_path(model: Any) -> str:
    if isinstance(model, ProvenLogisticRegression):
        model._check_fitted()
        return str(model.model_path_)
    return os.fspath(model)


@dataclass
class EvalProof:
    """A proven accuracy (what :func:`prove_eval` returns): ``accuracy``,
    ``precision``, ``recall`` and the confusion ``counts`` of the model on
    a committed split, and the ``bundle`` that proves them."""

    bundle: Path
    split: str
    accuracy: Optional[float]
    precision: Optional[float]
    recall: Optional[float]
    counts: _foldtrain.Confusion
    report: _foldtrain.EvalResult = field(repr=False)
    #: With ``group=``: each group's ``counts``, ``approval_rate``,
    #: ``true_positive_rate`` and ``false_positive_rate``, and the
    #: ``demographic_parity_difference``, ``equal_opportunity_difference``,
    #: ``disparate_impact_ratio`` and ``four_fifths_rule`` between groups.
    fairness: Optional[dict] = None


def prove_eval(
    model: Any,
    commitment: Union[CommittedData, PathLike],
    *,
    data: Optional[PathLike] = None,
    split: str = "test",
    group: Optional[str] = None,
    out_dir: Optional[PathLike] = None,
    rows_per_step: Optional[int] = None,
    force: bool = False,
    progress: Progress = None,
) -> EvalProof:
    """Proves the model's accuracy on a split of the committed data
    (``foldtrain prove-eval``). ``model``: a fitted estimator or a model
    file; ``commitment``: what :func:`commit` returned (its data is used),
    or a ``commitment.json`` with ``data``, the CSV it commits to.
    ``group``: the protected attribute the commitment holds (``commit(...,
    group=)``): the counts of each of its groups are proven too, and
    ``fairness`` holds their rates and the differences between groups."""
    if isinstance(commitment, CommittedData):
        data = commitment.data_path if data is None else data
        commitment = commitment.commitment_path
    if data is None:
        raise ValueError("give data=, the CSV the commitment commits to")
    r = _run(
        _foldtrain.prove_eval,
        _model_path(model),
        os.fspath(commitment),
        os.fspath(data),
        split=split,
        group=group,
        out_dir=None if out_dir is None else os.fspath(out_dir),
        rows_per_step=rows_per_step,
        force=force,
        progress=progress,
    )
    return EvalProof(
        bundle=Path(r.bundle),
        split=r.split,
        accuracy=r.accuracy,
        precision=r.precision,
        recall=r.recall,
        counts=r.counts,
        report=r,
        fairness=r.fairness,
    )


@dataclass
class PreprocessingProof:
    """A proven preprocessing (what :func:`prove_preprocessing` returns):
    the normalizer (``means``, ``stds``: each feature's, exact) is what the
    committed raw training rows give, and the quantized commitments hold
    those raw rows quantized with it; ``bundle`` proves it. With
    ``private_normalizer=True`` the statement lists only its commitment
    (``normalizer_commitment``, C_N) and ``means``/``stds`` are None."""

    bundle: Path
    means: Optional[np.ndarray]
    stds: Optional[np.ndarray]
    normalizer_commitment: Optional[str]
    report: _foldtrain.PrepResult = field(repr=False)


def prove_preprocessing(
    commitment: Union[CommittedData, PathLike],
    *,
    data: Optional[PathLike] = None,
    rows_per_step: Optional[int] = None,
    private_normalizer: bool = False,
    force: bool = False,
    progress: Progress = None,
) -> PreprocessingProof:
    """Proves a commitment's preprocessing from its raw rows (``foldtrain
    prove-preprocessing``): ``commitment`` is what :func:`commit` returned
    (its data is used), or a commitment folder with ``data``, the CSV it
    commits to. Writes ``preprocessing.bundle`` beside ``commitment.json``.
    ``private_normalizer=True`` states C_N instead of the normalizer (the
    one a model trained on this commitment with ``private_normalizer``
    lists)."""
    if isinstance(commitment, CommittedData):
        data = commitment.data_path if data is None else data
        commitment = commitment.out_dir
    if data is None:
        raise ValueError("give data=, the CSV the commitment commits to")
    r = _run(
        _foldtrain.prove_preprocessing,
        os.fspath(commitment),
        os.fspath(data),
        rows_per_step=rows_per_step,
        private_normalizer=private_normalizer,
        force=force,
        progress=progress,
    )
    st = r.statement

    def values(v: Optional[list]) -> Optional[np.ndarray]:
        return None if v is None else np.array(v, dtype=np.float64)

    return PreprocessingProof(
        bundle=Path(r.bundle),
        means=values(st.means),
        stds=values(st.stds),
        normalizer_commitment=st.normalizer_commitment,
        report=r,
    )


@dataclass
class PredictProof:
    """Proven predictions (what :func:`prove_predict` returns): the 0/1
    ``decisions``, one per input row, and the ``bundle`` that proves them;
    ``predictions_path`` is the public predictions file.

    With public weights the statement also states each row's logit:
    ``logits``, and ``probabilities`` (the logistic function of the proven
    logit, computed in floating point). With private weights it states the
    decisions only (exact logits of chosen rows would give the weights
    back), so ``logits`` and ``probabilities`` are None; the model holder's
    own view (raw inputs, logits) is in ``private_predictions_path``, under
    ``private/``, which must stay private."""

    bundle: Path
    predictions_path: Path
    decisions: np.ndarray
    logits: Optional[np.ndarray]
    probabilities: Optional[np.ndarray]
    private_predictions_path: Optional[Path]
    report: _foldtrain.PredictResult = field(repr=False)


def prove_predict(
    model: Any,
    X: Any,
    *,
    out_dir: Optional[PathLike] = None,
    rows_per_step: Optional[int] = None,
    force: bool = False,
    raw: bool = False,
    progress: Progress = None,
) -> PredictProof:
    """Proves the model's predictions on the rows of ``X`` (``foldtrain
    prove-predict``); writes the bundle and the predictions file into
    ``out_dir`` (default: the model's output folder). ``raw=True``: from
    the applicants' own values, normalized and quantized inside the proof
    (the statement lists them, as integers x 2^16, with the normalizer)."""
    path = _model_path(model)
    if isinstance(model, ProvenLogisticRegression):
        values, names = model._inputs(X), model._names
    else:
        # The model file's own columns; the library checks the file.
        names, values, from_frame = _table(X)
        if not from_frame:
            try:
                names = _foldtrain.read_model(str(path)).feature_names
            except (OSError, ValueError):
                pass  # the library reports what is wrong with the file when it proves
    with tempfile.TemporaryDirectory(prefix="foldtrain-") as tmp:
        inputs = Path(tmp) / "inputs.csv"
        _write_csv(inputs, names, values, None)
        r = _run(
            _foldtrain.prove_predict,
            path,
            str(inputs),
            out_dir=None if out_dir is None else os.fspath(out_dir),
            rows_per_step=rows_per_step,
            force=force,
            raw=raw,
            progress=progress,
        )
    # What the bundle states: logits only with public weights.
    logits = None if r.statement.logits is None else np.array(r.statement.logits, dtype=np.float64)
    private = r.private_predictions_path
    return PredictProof(
        bundle=Path(r.bundle),
        predictions_path=Path(r.predictions_path),
        decisions=np.array(r.statement.decisions, dtype=np.int64),
        logits=logits,
        probabilities=None if logits is None else np.array(_foldtrain.probabilities(logits.tolist())),
        private_predictions_path=None if private is None else Path(private),
        report=r,
    )


