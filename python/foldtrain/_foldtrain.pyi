"""Types of ``foldtrain._foldtrain``, the Rust library's bindings.

Every function returns the library's typed result: a class below, each
attribute one field of the library's report (commitments and enums as the
strings ``foldtrain --json`` writes), and ``to_dict()`` the report as
``foldtrain --json`` prints it. Bad input raises ``ValueError``, an
unreadable or unwritable file ``OSError``, a rejected proof
``ProofRejected``, Ctrl-C ``KeyboardInterrupt``.
"""

from os import PathLike
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, TypedDict, Union

__version__: str

_Path = Union[str, PathLike[str]]
_Progress = Optional[Callable[[str, int, int], Any]]

class ProofRejected(Exception):
    """A proof that does not establish its statement."""

class RecipeArgs(TypedDict):
    """The recipe settings, every key present (``ProvenLogisticRegression._recipe``)."""

    epochs: int
    learning_rate: float
    l2: float
    class_weight: Optional[tuple[float, float]]
    class_weight_balanced: bool
    batch_size: int
    batches_per_step: Optional[int]
    sigmoid: str
    private_weights: bool
    frac_bits: Optional[int]
    feature_frac_bits: Optional[int]

class Format:
    """A fixed-point format: `F`, `Fx` and the integer bounds."""
    @property
    def frac_bits(self) -> int: ...
    @property
    def feature_frac_bits(self) -> int: ...
    @property
    def feature_int_bits(self) -> int: ...
    @property
    def weight_int_bits(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class Recipe:
    """A training recipe, as a statement binds it."""
    @property
    def version(self) -> int: ...
    @property
    def features(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def batch(self) -> int: ...
    @property
    def batches_per_step(self) -> int: ...
    @property
    def epochs(self) -> int: ...
    @property
    def learning_rate(self) -> float: ...
    @property
    def l2(self) -> float: ...  # The L2 penalty lambda on the weights (0: none).
    @property
    def class_weights(self) -> Optional[list[float]]: ...  # Class 0's and 1's (None: unweighted).
    @property
    def format(self) -> Format: ...
    @property
    def sigmoid(self) -> str: ...
    @property
    def weights(self) -> str: ...  # "public" or "committed".
    def to_dict(self) -> dict[str, Any]: ...

class Confusion:
    """Confusion counts at the decision `z >= 0`."""
    @property
    def tp(self) -> int: ...
    @property
    def fp(self) -> int: ...
    @property
    def tn(self) -> int: ...
    @property
    def fn(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class Spec:
    """What an evaluation or predictions proof is about."""
    @property
    def version(self) -> int: ...
    @property
    def task(self) -> str: ...  # "evaluate" or "predict".
    @property
    def split(self) -> Optional[str]: ...  # The split evaluated on ("train" or "test"), for an evaluation.
    @property
    def features(self) -> int: ...
    @property
    def format(self) -> Format: ...
    @property
    def weights(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def rows_per_step(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class Statement:
    """A training statement, as people read it."""
    @property
    def kind(self) -> str: ...
    @property
    def recipe(self) -> Recipe: ...
    @property
    def rows(self) -> int: ...
    @property
    def features(self) -> int: ...
    @property
    def commitment(self) -> str: ...
    @property
    def test_commitment(self) -> str: ...
    @property
    def weights_commitment(self) -> Optional[str]: ...
    @property
    def weights_sha256(self) -> Optional[str]: ...
    @property
    def weights(self) -> Optional[list[float]]: ...
    @property
    def bias(self) -> Optional[float]: ...
    @property
    def weights_fixed(self) -> Optional[list[int]]: ...
    @property
    def bias_fixed(self) -> Optional[int]: ...
    @property
    def steps(self) -> int: ...
    @property
    def params_digest(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class InferStatement:
    """An evaluation or predictions statement, as people read it."""
    @property
    def kind(self) -> str: ...  # "evaluation" or "predictions".
    @property
    def spec(self) -> Spec: ...
    @property
    def weights_commitment(self) -> Optional[str]: ...
    @property
    def weights(self) -> Optional[list[float]]: ...
    @property
    def bias(self) -> Optional[float]: ...
    @property
    def weights_fixed(self) -> Optional[list[int]]: ...
    @property
    def bias_fixed(self) -> Optional[int]: ...
    @property
    def commitment(self) -> Optional[str]: ...
    @property
    def counts(self) -> Optional[Confusion]: ...
    @property
    def accuracy(self) -> Optional[float]: ...
    @property
    def precision(self) -> Optional[float]: ...
    @property
    def recall(self) -> Optional[float]: ...
    @property
    def logits(self) -> Optional[list[float]]: ...  # The proven logits (predictions with public weights only).
    @property
    def decisions(self) -> Optional[list[int]]: ...
    @property
    def steps(self) -> int: ...
    @property
    def params_digest(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class CommitResult:
    """`commit`'s report."""
    @property
    def commitment(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def test_commitment(self) -> str: ...
    @property
    def test_rows(self) -> int: ...
    @property
    def features(self) -> int: ...
    @property
    def group(self) -> Optional[str]: ...  # The protected attribute committed with the test rows.
    @property
    def group_columns(self) -> list[str]: ...  # Its CSV columns (left out of the features).
    @property
    def group_labels(self) -> list[str]: ...  # Its groups' labels, in code order.
    @property
    def group_commitment(self) -> Optional[str]: ...  # C_G.
    @property
    def commitment_path(self) -> Path: ...
    @property
    def opening_path(self) -> Path: ...
    def to_dict(self) -> dict[str, Any]: ...

class ProveResult:
    """`prove`'s and `resume`'s report."""
    @property
    def data(self) -> Path: ...
    @property
    def kind(self) -> str: ...
    @property
    def commitment(self) -> str: ...
    @property
    def test_commitment(self) -> str: ...
    @property
    def weights_commitment(self) -> Optional[str]: ...
    @property
    def steps(self) -> int: ...
    @property
    def steps_folded_now(self) -> int: ...  # Steps folded by this run (fewer than `steps` after a resume).
    @property
    def step_constraints(self) -> int: ...
    @property
    def constraints_per_step(self) -> int: ...
    @property
    def constraints_per_sample_feature_epoch(self) -> float: ...
    @property
    def params_digest(self) -> str: ...
    @property
    def verifier_key_sha256(self) -> str: ...
    @property
    def command_s(self) -> float: ...
    @property
    def setup_s(self) -> float: ...
    @property
    def prove_s(self) -> float: ...
    @property
    def compress_s(self) -> float: ...
    @property
    def verify_s(self) -> float: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def bundle_bytes(self) -> int: ...
    @property
    def weights(self) -> list[float]: ...
    @property
    def bias(self) -> float: ...
    @property
    def bundle_path(self) -> Path: ...
    @property
    def model_path(self) -> Path: ...
    @property
    def public_model_path(self) -> Optional[Path]: ...
    @property
    def commitment_path(self) -> Path: ...
    @property
    def opening_path(self) -> Path: ...
    @property
    def checkpoint_dir(self) -> Path: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def segments(self) -> list[dict[str, Any]]: ...  # A run proven in segments: each segment as its worker measured it (empty for a whole run).
    def to_dict(self) -> dict[str, Any]: ...

class PlanResult:
    """`plan`'s report: a run cut into segments, nothing proven yet."""
    @property
    def out_dir(self) -> Path: ...
    @property
    def plan_path(self) -> Path: ...
    @property
    def commitment_path(self) -> Path: ...
    @property
    def commitment(self) -> str: ...
    @property
    def test_commitment(self) -> str: ...
    @property
    def steps(self) -> int: ...
    @property
    def segments(self) -> list[dict[str, Any]]: ...  # Each segment's index, first step and step count.
    @property
    def warnings(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

class SegmentResult:
    """`prove-segment`'s report."""
    @property
    def index(self) -> int: ...
    @property
    def segments(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def path(self) -> Path: ...
    @property
    def reused(self) -> bool: ...  # The folder held this segment's proof already: nothing was proven.
    @property
    def command_s(self) -> float: ...
    @property
    def setup_s(self) -> float: ...
    @property
    def fold_s(self) -> float: ...
    @property
    def compress_s(self) -> float: ...
    @property
    def file_bytes(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class EstimateResult:
    """`estimate`'s report: what a prove would cost on this machine."""
    @property
    def data(self) -> Path: ...
    @property
    def recipe(self) -> Recipe: ...
    @property
    def steps(self) -> int: ...
    @property
    def step_constraints(self) -> int: ...
    @property
    def breakdown(self) -> list[dict[str, Any]]: ...  # The step circuit's constraints by part, as dicts.
    @property
    def primary_constraints(self) -> int: ...
    @property
    def secondary_constraints(self) -> int: ...
    @property
    def constraints_per_step(self) -> int: ...
    @property
    def total_constraints(self) -> int: ...
    @property
    def constraints_per_sample_feature_epoch(self) -> float: ...
    @property
    def setup_s(self) -> float: ...
    @property
    def step_s(self) -> float: ...
    @property
    def calibration_steps(self) -> int: ...
    @property
    def estimated_prove_s(self) -> float: ...
    @property
    def estimated_compress_s(self) -> float: ...
    @property
    def estimated_total_s(self) -> float: ...
    @property
    def padded_constraints(self) -> int: ...
    @property
    def estimated_peak_bytes(self) -> float: ...
    @property
    def speed_factor(self) -> float: ...
    @property
    def model(self) -> dict[str, Any]: ...  # The cost model's coefficients, as a dict.
    @property
    def plan(self) -> list[dict[str, Any]]: ...  # The batches-per-step candidates weighed, as dicts.
    def to_dict(self) -> dict[str, Any]: ...

class VerifyResult:
    """`verify`'s report of a training bundle."""
    @property
    def bundle(self) -> Path: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def detail(self) -> Optional[str]: ...
    @property
    def statement(self) -> Optional[Statement]: ...  # What the proof establishes: present only when it verified.
    @property
    def segments(self) -> Optional[int]: ...  # Segment proofs of an accepted run proven in segments (None: one).
    @property
    def model(self) -> Optional[Path]: ...
    @property
    def key_origin(self) -> Optional[str]: ...  # "given", "cached", "derived" or "held".
    @property
    def key_sha256(self) -> Optional[str]: ...
    @property
    def key_s(self) -> Optional[float]: ...
    @property
    def verify_s(self) -> Optional[float]: ...
    @property
    def command_s(self) -> float: ...
    @property
    def folder(self) -> str: ...  # "complete", "incomplete" or "standalone".
    @property
    def folder_reason(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

class InferVerifyResult:
    """`verify`'s report of an evaluation or predictions bundle."""
    @property
    def bundle(self) -> Path: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def detail(self) -> Optional[str]: ...
    @property
    def statement(self) -> Optional[InferStatement]: ...
    @property
    def key_origin(self) -> Optional[str]: ...
    @property
    def key_sha256(self) -> Optional[str]: ...
    @property
    def key_s(self) -> Optional[float]: ...
    @property
    def verify_s(self) -> Optional[float]: ...
    @property
    def command_s(self) -> float: ...
    def to_dict(self) -> dict[str, Any]: ...

class Inspection:
    """`inspect`'s report of a training bundle: what it claims, not verified. The statement's fields also read as attributes."""
    @property
    def bundle(self) -> Path: ...
    @property
    def verified(self) -> bool: ...  # Always False: nothing here is verified.
    @property
    def statement(self) -> Statement: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def segments(self) -> Optional[int]: ...  # Segment proofs of a run proven in segments (None: one proof).
    @property
    def verifier_key_sha256(self) -> Optional[str]: ...
    def __getattr__(self, name: str) -> Any: ...  # the statement's fields
    def to_dict(self) -> dict[str, Any]: ...

class InferInspection:
    """`inspect`'s report of an evaluation or predictions bundle: what it claims, not verified. The statement's fields also read as attributes."""
    @property
    def bundle(self) -> Path: ...
    @property
    def verified(self) -> bool: ...  # Always False: nothing here is verified.
    @property
    def statement(self) -> InferStatement: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def verifier_key_sha256(self) -> Optional[str]: ...
    def __getattr__(self, name: str) -> Any: ...  # the statement's fields
    def to_dict(self) -> dict[str, Any]: ...

class PrepStatement:
    """A preprocessing statement, as people read it: the normalizer the raw training rows give, and the four commitments it links."""
    @property
    def summary(self) -> str: ...  # One line: rows, features and rows a step.
    @property
    def features(self) -> int: ...
    @property
    def train_rows(self) -> int: ...
    @property
    def test_rows(self) -> int: ...
    @property
    def raw_train_commitment(self) -> str: ...
    @property
    def raw_test_commitment(self) -> str: ...
    @property
    def train_commitment(self) -> str: ...
    @property
    def test_commitment(self) -> str: ...
    @property
    def means(self) -> Optional[list[float]]: ...  # Each feature's training mean (exact: integers over 2^16); None when the statement keeps the normalizer private.
    @property
    def stds(self) -> Optional[list[float]]: ...  # Each feature's training standard deviation (None when private).
    @property
    def normalizer_commitment(self) -> Optional[str]: ...  # C_N, when the normalizer is kept private.
    @property
    def steps(self) -> int: ...
    @property
    def params_digest(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class PrepVerifyResult:
    """`verify`'s report of a preprocessing bundle."""
    @property
    def bundle(self) -> Path: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def detail(self) -> Optional[str]: ...
    @property
    def statement(self) -> Optional[PrepStatement]: ...
    @property
    def key_origin(self) -> Optional[str]: ...
    @property
    def key_sha256(self) -> Optional[str]: ...
    @property
    def key_s(self) -> Optional[float]: ...
    @property
    def verify_s(self) -> Optional[float]: ...
    @property
    def command_s(self) -> float: ...
    def to_dict(self) -> dict[str, Any]: ...

class PrepInspection:
    """`inspect`'s report of a preprocessing bundle: what it claims, not verified."""
    @property
    def bundle(self) -> Path: ...
    @property
    def verified(self) -> bool: ...  # Always False: nothing here is verified.
    @property
    def statement(self) -> PrepStatement: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def verifier_key_sha256(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

class PrepResult:
    """`prove-preprocessing`'s report."""
    @property
    def bundle(self) -> Path: ...
    @property
    def statement(self) -> PrepStatement: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def bundle_bytes(self) -> int: ...
    @property
    def timings(self) -> dict[str, Any]: ...  # The phases' seconds, as a dict.
    @property
    def command_s(self) -> float: ...
    def to_dict(self) -> dict[str, Any]: ...

class TrainingAudit:
    """`audit`'s report of one training bundle."""
    @property
    def bundle(self) -> Path: ...
    @property
    def verified(self) -> bool: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def commitment_opened(self) -> Optional[bool]: ...
    @property
    def weights_opened(self) -> Optional[bool]: ...
    @property
    def weights_reproduced(self) -> Optional[bool]: ...
    @property
    def problems(self) -> list[str]: ...
    @property
    def statement(self) -> Statement: ...
    @property
    def verify_s(self) -> Optional[float]: ...
    @property
    def data_sha256(self) -> Optional[str]: ...
    @property
    def folder(self) -> str: ...
    @property
    def folder_reason(self) -> Optional[str]: ...
    @property
    def passed(self) -> bool: ...  # Everything checked holds.
    def to_dict(self) -> dict[str, Any]: ...

class ChainLink:
    """One link of a chain: a fact two statements must agree on."""
    @property
    def name(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def detail(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class ChainAudit:
    """The chain audit's report."""
    @property
    def training(self) -> TrainingAudit: ...
    @property
    def evaluation(self) -> Optional[InferVerifyResult]: ...
    @property
    def predictions(self) -> Optional[InferVerifyResult]: ...
    @property
    def preprocessing(self) -> Optional[PrepVerifyResult]: ...
    @property
    def links(self) -> list[ChainLink]: ...
    @property
    def feature_names(self) -> Optional[list[str]]: ...
    @property
    def passed(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...

class AuditResult:
    """What `audit` found: the report (of one training bundle, or of a chain) and whether everything checked holds."""
    @property
    def passed(self) -> bool: ...
    @property
    def report(self) -> Union[TrainingAudit, ChainAudit]: ...  # A `TrainingAudit`, or a `ChainAudit` when links were checked.
    @property
    def html(self) -> Optional[Path]: ...  # The HTML report written, if one was asked for.
    def to_dict(self) -> dict[str, Any]: ...

class EvalResult:
    """`prove-eval`'s report: the proven counts on a committed split."""
    @property
    def bundle(self) -> Path: ...
    @property
    def spec(self) -> Spec: ...
    @property
    def weights_commitment(self) -> Optional[str]: ...
    @property
    def steps(self) -> int: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def timings(self) -> dict[str, Any]: ...  # The phases' seconds, as a dict.
    @property
    def command_s(self) -> float: ...
    @property
    def split(self) -> str: ...  # "train" or "test".
    @property
    def commitment(self) -> str: ...
    @property
    def counts(self) -> Confusion: ...
    @property
    def accuracy(self) -> Optional[float]: ...
    @property
    def precision(self) -> Optional[float]: ...
    @property
    def recall(self) -> Optional[float]: ...
    @property
    def group_commitment(self) -> Optional[str]: ...  # With group=: C_G.
    @property
    def fairness(self) -> Optional[dict[str, Any]]: ...  # With group=: each group's figures and the differences.
    def to_dict(self) -> dict[str, Any]: ...

class PredictResult:
    """`prove-predict`'s report, with the statement its bundle carries."""
    @property
    def bundle(self) -> Path: ...
    @property
    def spec(self) -> Spec: ...
    @property
    def weights_commitment(self) -> Optional[str]: ...
    @property
    def steps(self) -> int: ...
    @property
    def proof_bytes(self) -> int: ...
    @property
    def timings(self) -> dict[str, Any]: ...
    @property
    def command_s(self) -> float: ...
    @property
    def predictions_path(self) -> Path: ...
    @property
    def private_predictions_path(self) -> Optional[Path]: ...
    @property
    def rows(self) -> int: ...
    @property
    def positive(self) -> int: ...
    @property
    def statement(self) -> InferStatement: ...  # What the bundle states: the decisions and, with public weights, the logits.
    def to_dict(self) -> dict[str, Any]: ...

class Prediction:
    """One row of a model's predictions, computed natively (not proven)."""
    @property
    def row(self) -> int: ...
    @property
    def inputs(self) -> list[float]: ...
    @property
    def inputs_fixed(self) -> list[int]: ...
    @property
    def logit_fixed(self) -> int: ...
    @property
    def logit(self) -> float: ...
    @property
    def probability(self) -> float: ...
    @property
    def decision(self) -> int: ...  # 1 when the logit is at least 0
    def to_dict(self) -> dict[str, Any]: ...

class SplitCommitted:
    """One split's public commitment."""
    @property
    def commitment(self) -> str: ...
    @property
    def rows(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class Commitments:
    """`commitment.json`, as the library reads it."""
    @property
    def kind(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def train(self) -> SplitCommitted: ...
    @property
    def test(self) -> SplitCommitted: ...
    @property
    def features(self) -> int: ...
    @property
    def format(self) -> Format: ...
    @property
    def train_fraction(self) -> float: ...
    @property
    def split(self) -> str: ...  # The split rule, in words.
    @property
    def preprocessing(self) -> str: ...
    @property
    def preprocessing_version(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class Model:
    """A model file (`model.json`, or `model.public.json` without weights), read and checked by the library."""
    @property
    def kind(self) -> str: ...  # "foldtrain-model" or "foldtrain-model-public".
    @property
    def recipe(self) -> Recipe: ...
    @property
    def feature_names(self) -> list[str]: ...
    @property
    def train_fraction(self) -> float: ...
    @property
    def means(self) -> Optional[list[float]]: ...  # The normalizer's training means (None when it is kept private).
    @property
    def stds(self) -> Optional[list[float]]: ...  # The normalizer's training standard deviations.
    @property
    def weights(self) -> Optional[list[float]]: ...  # The weights as decimals (None in a public model of committed weights).
    @property
    def bias(self) -> Optional[float]: ...
    @property
    def weights_fixed(self) -> Optional[list[int]]: ...
    @property
    def bias_fixed(self) -> Optional[int]: ...
    @property
    def weights_commitment(self) -> Optional[str]: ...
    @property
    def normalizer_commitment(self) -> Optional[str]: ...  # C_N, the commitment to a normalizer kept private (a public model file lists it; a private one computes it from its salt).
    def to_dict(self) -> dict[str, Any]: ...

class Table:
    """Labelled rows of a CSV (one split of it), as the library read them."""
    @property
    def feature_names(self) -> list[str]: ...
    @property
    def rows(self) -> list[list[float]]: ...  # One list of feature values a row.
    @property
    def labels(self) -> list[int]: ...  # 0 or 1 a row.
    def to_dict(self) -> dict[str, Any]: ...

def commit(
    data: _Path,
    out_dir: _Path,
    *,
    train_fraction: float,
    frac_bits: Optional[int] = None,
    feature_frac_bits: Optional[int] = None,
    group: Optional[str] = None,
    force: bool = False,
) -> CommitResult:
    """Commits to both splits of ``data``: ``foldtrain commit``."""

def prove(
    data: _Path,
    out_dir: _Path,
    *,
    train_fraction: float,
    recipe: RecipeArgs,
    commitment: Optional[_Path] = None,
    private_normalizer: bool = False,
    checkpoint_every: Optional[int] = None,
    force: bool = False,
    progress: _Progress = None,
) -> ProveResult:
    """Proves training: ``foldtrain prove``."""

def resume(
    checkpoint_dir: _Path,
    out_dir: _Path,
    *,
    data: Optional[_Path] = None,
    checkpoint_every: Optional[int] = None,
    force: bool = False,
    progress: _Progress = None,
) -> ProveResult:
    """Resumes an interrupted prove from its checkpoints: ``foldtrain resume``."""

def plan(
    data: _Path,
    out_dir: _Path,
    *,
    train_fraction: float,
    recipe: RecipeArgs,
    segments: int,
    commitment: Optional[_Path] = None,
    private_normalizer: bool = False,
    force: bool = False,
) -> PlanResult:
    """Plans a run in segments: ``foldtrain plan``."""

def prove_segment(
    plan_dir: _Path,
    index: int,
    *,
    data: Optional[_Path] = None,
    force: bool = False,
    progress: _Progress = None,
) -> SegmentResult:
    """Proves one segment of a plan: ``foldtrain prove-segment``."""

def join(
    plan_dir: _Path,
    *,
    data: Optional[_Path] = None,
    force: bool = False,
    progress: _Progress = None,
) -> ProveResult:
    """Joins a plan's proven segments into its bundle: ``foldtrain join``."""

def estimate(data: _Path, *, train_fraction: float, recipe: RecipeArgs) -> EstimateResult:
    """What a prove would cost, timed on this machine: ``foldtrain estimate``."""

def verify(
    bundle: _Path,
    *,
    model: Optional[_Path] = None,
    vk: Optional[_Path] = None,
    vk_sha256: Optional[str] = None,
) -> Union[VerifyResult, InferVerifyResult, PrepVerifyResult]:
    """Verifies a bundle of any kind: ``foldtrain verify`` (a rejected proof
    is a report with ``accepted`` False, not an exception)."""

class Verifier:
    """A verifier that holds its keys across calls: a key file given with
    its pin is read and checked once, when it is made; a key read from the
    cache or derived is kept for later bundles of its spec."""

    def __init__(self, vk: Optional[_Path] = None, vk_sha256: Optional[str] = None) -> None: ...
    def verify(self, bundle: _Path) -> Union[VerifyResult, InferVerifyResult, PrepVerifyResult]:
        """Verifies a bundle of any kind with the held keys (a rejected proof
        is a report with ``accepted`` False)."""

def probabilities(logits: list[float]) -> list[float]:
    """The probability of class 1 of each logit, ``1 / (1 + e^-z)``."""

def inspect(bundle: _Path) -> Union[Inspection, InferInspection, PrepInspection]:
    """What a bundle claims, not verified: ``foldtrain inspect``."""

def audit(
    train: _Path,
    *,
    eval: Optional[_Path] = None,
    predict: Optional[_Path] = None,
    preprocessing: Optional[_Path] = None,
    commitment: Optional[_Path] = None,
    data: Optional[_Path] = None,
    opening: Optional[_Path] = None,
    model: Optional[_Path] = None,
    report: Optional[_Path] = None,
    vk: Sequence[_Path] = ...,
    vk_sha256: Sequence[str] = ...,
) -> AuditResult:
    """Audits a training bundle, or a chain of statements: ``foldtrain audit``."""

def prove_preprocessing(
    commitment: _Path,
    data: _Path,
    *,
    rows_per_step: Optional[int] = None,
    private_normalizer: bool = False,
    force: bool = False,
    progress: _Progress = None,
) -> PrepResult:
    """Proves a commitment's preprocessing from the committed CSV: ``foldtrain prove-preprocessing``."""

def prove_eval(
    model: _Path,
    commitment: _Path,
    data: _Path,
    *,
    split: str = "test",
    group: Optional[str] = None,
    out_dir: Optional[_Path] = None,
    rows_per_step: Optional[int] = None,
    force: bool = False,
    progress: _Progress = None,
) -> EvalResult:
    """Proves a model's accuracy on a committed split: ``foldtrain prove-eval``."""

def prove_predict(
    model: _Path,
    inputs: _Path,
    *,
    out_dir: Optional[_Path] = None,
    rows_per_step: Optional[int] = None,
    force: bool = False,
    raw: bool = False,
    progress: _Progress = None,
) -> PredictResult:
    """Proves a model's predictions on an inputs CSV: ``foldtrain prove-predict``."""

def predict(model: _Path, inputs: _Path) -> list[Prediction]:
    """A model's predictions on an inputs CSV, natively (no proof)."""

def private_dir(out_dir: _Path) -> Path:
    """The private part of an output folder, as the CLI names it."""

def private_folder(out_dir: _Path) -> Path:
    """The private part of an output folder, made owner-only when missing."""

def checkpoint_dir(out_dir: _Path) -> Path:
    """Where a run into ``out_dir`` keeps its checkpoints by default."""

def opening_path(out_dir: _Path) -> Path:
    """Where an output folder's opening lives (it is never replaced)."""

def write_private(path: _Path, data: bytes) -> None:
    """Writes a private file atomically and owner-only, in an owner-only folder."""

def read_model(path: _Path) -> Model:
    """A model file (``model.json`` or ``model.public.json``), read and checked."""

def read_commitment(path: _Path) -> Commitments:
    """A commitment file (``commitment.json``), read and checked."""

def split(data: _Path, train_fraction: float, group: Optional[str] = None) -> tuple[Table, Table]:
    """The training and test rows of a labelled CSV, by the library's split rule."""
