//! `foldtrain._foldtrain`: the Rust library, called from Python.
//!
//! Each function is one library command, or one of the library's rules
//! (where files go, how a private file is written, how a model file, a
//! commitment file or a split is read). It takes paths and plain settings,
//! releases the GIL while it works, and returns the library's typed result
//! as a Python object (`reports`); `foldtrain/__init__.py` builds the
//! Python API on top and `_foldtrain.pyi` describes it. Errors become
//! Python exceptions by kind (`errors`).

use std::path::{Path, PathBuf};

use foldtrain::commands::verify::{BundleReport, Inspected, ModelFile, Verification};
use foldtrain::commands::{self, CommitmentFile};
use foldtrain::dataset::{Dataset, TrainFraction};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

mod errors;
mod observer;
mod reports;
mod settings;
mod values;

use errors::{to_py, ProofRejected};
use observer::PyObserver;
use reports::{
    AuditResult, CommitResult, Commitments, EstimateResult, EvalResult, InferInspection,
    InferVerifyResult, Inspection, Model, ModelOf, PlanResult, PredictResult, Predicted,
    Prediction, PrepInspection, PrepResult, PrepVerifyResult, ProveResult, SegmentResult, Table,
    VerifyResult,
};
use settings::{parse_split, RecipeArgs};

/// Commits to both splits: `commit`'s report.
#[pyfunction]
#[pyo3(signature = (data, out_dir, *, train_fraction, frac_bits=None, feature_frac_bits=None,
    group=None, force=false))]
#[allow(clippy::too_many_arguments)]
fn commit(
    py: Python<'_>,
    data: PathBuf,
    out_dir: PathBuf,
    train_fraction: f64,
    frac_bits: Option<u32>,
    feature_frac_bits: Option<u32>,
    group: Option<String>,
    force: bool,
) -> PyResult<CommitResult> {
    // The recipe's other settings do not enter the commitment.
    let args = commands::DataArgs {
        group,
        ..RecipeArgs::for_commit(frac_bits, feature_frac_bits).data_args(data, train_fraction)?
    };
    let report = py
        .detach(|| commands::commit(&args, &out_dir, force))
        .map_err(to_py)?;
    Ok(CommitResult(report))
}

/// Proves training: `prove`'s report.
#[pyfunction]
#[pyo3(signature = (data, out_dir, *, train_fraction, recipe, commitment=None,
    private_normalizer=false, checkpoint_every=None, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn prove(
    py: Python<'_>,
    data: PathBuf,
    out_dir: PathBuf,
    train_fraction: f64,
    recipe: RecipeArgs,
    commitment: Option<PathBuf>,
    private_normalizer: bool,
    checkpoint_every: Option<usize>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<ProveResult> {
    let data = recipe.data_args(data, train_fraction)?;
    let observer = PyObserver::new(progress);
    let args = commands::ProveArgs {
        data,
        commitment,
        private_normalizer,
        checkpoint_dir: None,
        run: commands::RunSettings {
            out_dir: Some(out_dir),
            checkpoint_every,
            interrupt: Some(observer.interrupt.clone()),
            force,
        },
    };
    let result = py.detach(|| commands::prove_with(&args, &observer));
    Ok(ProveResult(observer.finish(result)?))
}

/// Resumes an interrupted `prove` from its checkpoints: `resume`'s report.
#[pyfunction]
#[pyo3(signature = (checkpoint_dir, out_dir, *, data=None, checkpoint_every=None, force=false,
    progress=None))]
fn resume(
    py: Python<'_>,
    checkpoint_dir: PathBuf,
    out_dir: PathBuf,
    data: Option<PathBuf>,
    checkpoint_every: Option<usize>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<ProveResult> {
    let observer = PyObserver::new(progress);
    let args = commands::ResumeArgs {
        checkpoint_dir,
        data,
        run: commands::RunSettings {
            out_dir: Some(out_dir),
            checkpoint_every,
            interrupt: Some(observer.interrupt.clone()),
            force,
        },
    };
    let result = py.detach(|| commands::resume_with(&args, &observer));
    Ok(ProveResult(observer.finish(result)?))
}

/// Plans a run in segments: `plan`'s report (nothing is proven).
#[pyfunction]
#[pyo3(signature = (data, out_dir, *, train_fraction, recipe, segments, commitment=None,
    private_normalizer=false, force=false))]
#[allow(clippy::too_many_arguments)]
fn plan(
    py: Python<'_>,
    data: PathBuf,
    out_dir: PathBuf,
    train_fraction: f64,
    recipe: RecipeArgs,
    segments: usize,
    commitment: Option<PathBuf>,
    private_normalizer: bool,
    force: bool,
) -> PyResult<PlanResult> {
    let data = recipe.data_args(data, train_fraction)?;
    let args = commands::ProveArgs {
        data,
        commitment,
        private_normalizer,
        checkpoint_dir: None,
        run: commands::RunSettings {
            out_dir: Some(out_dir),
            force,
            ..Default::default()
        },
    };
    let report = py
        .detach(|| commands::plan(&args, segments))
        .map_err(to_py)?;
    Ok(PlanResult(report))
}

/// Proves segment `index` of the plan in `plan_dir`: `prove-segment`'s report.
#[pyfunction]
#[pyo3(signature = (plan_dir, index, *, data=None, force=false, progress=None))]
fn prove_segment(
    py: Python<'_>,
    plan_dir: PathBuf,
    index: usize,
    data: Option<PathBuf>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<SegmentResult> {
    let observer = PyObserver::new(progress);
    let args = commands::SegmentArgs {
        dir: plan_dir,
        index,
        data,
        force,
    };
    let result = py.detach(|| commands::prove_segment_with(&args, &observer));
    Ok(SegmentResult(observer.finish(result)?))
}

/// Joins the proven segments of the plan in `plan_dir` into its
/// `proof.bundle`: `join`'s report.
#[pyfunction]
#[pyo3(signature = (plan_dir, *, data=None, force=false, progress=None))]
fn join(
    py: Python<'_>,
    plan_dir: PathBuf,
    data: Option<PathBuf>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<ProveResult> {
    let observer = PyObserver::new(progress);
    let args = commands::JoinArgs {
        dir: plan_dir,
        data,
        force,
    };
    let result = py.detach(|| commands::join_with(&args, &observer));
    Ok(ProveResult(observer.finish(result)?))
}

/// What a prove would cost, timed on this machine: `estimate`'s report.
#[pyfunction]
#[pyo3(signature = (data, *, train_fraction, recipe))]
fn estimate(
    py: Python<'_>,
    data: PathBuf,
    train_fraction: f64,
    recipe: RecipeArgs,
) -> PyResult<EstimateResult> {
    let args = recipe.data_args(data, train_fraction)?;
    let report = py.detach(|| commands::estimate(&args)).map_err(to_py)?;
    Ok(EstimateResult(report))
}

/// Verifies a bundle (training, evaluation or predictions): the report of
/// `verify`, with `accepted` false and a `reason` for a rejected proof.
#[pyfunction]
#[pyo3(signature = (bundle, *, model=None, vk=None, vk_sha256=None))]
fn verify(
    py: Python<'_>,
    bundle: PathBuf,
    model: Option<PathBuf>,
    vk: Option<PathBuf>,
    vk_sha256: Option<String>,
) -> PyResult<Py<PyAny>> {
    // A key file without its pin, or a pin without its file, is refused
    // with the CLI's message (its flags in Python's terms).
    let vk: Vec<PathBuf> = vk.into_iter().collect();
    let pins: Vec<String> = vk_sha256.into_iter().collect();
    let key = commands::KeyChoice::from_flags(&vk, &pins, &bundle).map_err(to_py)?;
    let bundles = [bundle];
    let report = py
        .detach(|| commands::verify::verify_bundles(&bundles, model.as_deref(), key))
        .map_err(to_py)?;
    match report {
        Verification::One(report) => bundle_report(py, report),
        Verification::Batch(_) => Err(PyRuntimeError::new_err("one bundle gave a batch's report")),
    }
}

/// The probability of class 1 of each logit (the library's one formula).
#[pyfunction]
fn probabilities(logits: Vec<f64>) -> Vec<f64> {
    logits
        .into_iter()
        .map(foldtrain::model::probability)
        .collect()
}

/// The report of one bundle as the Python object of its kind.
fn bundle_report(py: Python<'_>, report: BundleReport) -> PyResult<Py<PyAny>> {
    Ok(match report {
        BundleReport::Training(r) => Py::new(py, VerifyResult(*r))?.into_any(),
        BundleReport::Inference(r) => Py::new(py, InferVerifyResult(*r))?.into_any(),
        BundleReport::Preprocessing(r) => Py::new(py, PrepVerifyResult(*r))?.into_any(),
    })
}

/// A verifier that holds its keys across calls (the library's `Verifier`):
/// a key file given with its pin is read and checked once, when it is
/// made; a key read from the cache or derived is kept for later bundles of
/// its spec (each re-checked against the held key's spec and digest), so a
/// service or a notebook verifying many bundles pays for a key once.
#[pyclass(name = "Verifier", module = "foldtrain._foldtrain")]
struct PyVerifier(std::sync::Mutex<foldtrain::proof::Verifier>);

#[pymethods]
impl PyVerifier {
    #[new]
    #[pyo3(signature = (vk=None, vk_sha256=None))]
    fn new(py: Python<'_>, vk: Option<PathBuf>, vk_sha256: Option<String>) -> PyResult<Self> {
        let vk: Vec<PathBuf> = vk.into_iter().collect();
        let pins: Vec<String> = vk_sha256.into_iter().collect();
        let key =
            commands::KeyChoice::from_flags(&vk, &pins, Path::new("BUNDLE")).map_err(to_py)?;
        let verifier = py.detach(|| key.verifier()).map_err(to_py)?;
        Ok(PyVerifier(std::sync::Mutex::new(verifier)))
    }

    /// Verifies a bundle of any kind with the held keys: its report, with
    /// `accepted` false and a `reason` for a rejected proof.
    fn verify(&self, py: Python<'_>, bundle: PathBuf) -> PyResult<Py<PyAny>> {
        let report = py
            .detach(|| {
                let mut verifier = self
                    .0
                    .lock()
                    .map_err(|_| foldtrain::Error::Internal("a verify call panicked".into()))?;
                commands::verify::verify_any(&mut verifier, &bundle)
            })
            .map_err(to_py)?;
        bundle_report(py, report)
    }
}

/// What a bundle claims, without verifying it (`verified` is false).
#[pyfunction]
fn inspect(py: Python<'_>, bundle: PathBuf) -> PyResult<Py<PyAny>> {
    let report = py
        .detach(|| commands::verify::inspect_bundle(&bundle))
        .map_err(to_py)?;
    Ok(match report {
        Inspected::Training(r) => Py::new(py, Inspection(*r))?.into_any(),
        Inspected::Inference(r) => Py::new(py, InferInspection(*r))?.into_any(),
        Inspected::Preprocessing(r) => Py::new(py, PrepInspection(*r))?.into_any(),
    })
}

/// Audits a training bundle, or with any of `eval`, `predict`,
/// `preprocessing`, `commitment`, `report` the chain of statements: the
/// audit's report, with `passed`.
#[pyfunction]
#[pyo3(signature = (train, *, eval=None, predict=None, preprocessing=None, commitment=None,
    data=None, opening=None, model=None, report=None, vk=Vec::new(), vk_sha256=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn audit(
    py: Python<'_>,
    train: PathBuf,
    eval: Option<PathBuf>,
    predict: Option<PathBuf>,
    preprocessing: Option<PathBuf>,
    commitment: Option<PathBuf>,
    data: Option<PathBuf>,
    opening: Option<PathBuf>,
    model: Option<PathBuf>,
    report: Option<PathBuf>,
    vk: Vec<PathBuf>,
    vk_sha256: Vec<String>,
) -> PyResult<AuditResult> {
    let args = commands::ChainArgs {
        train,
        eval,
        predict,
        preprocessing,
        commitment,
        data,
        opening,
        model,
        vk,
        vk_sha256,
        report,
    };
    let r = py
        .detach(|| commands::audit::audit_any(&args))
        .map_err(to_py)?;
    Ok(AuditResult(r))
}

/// Proves a commitment's preprocessing from the committed CSV:
/// `prove-preprocessing`'s report (the bundle is written beside
/// commitment.json).
#[pyfunction]
#[pyo3(signature = (commitment, data, *, rows_per_step=None, private_normalizer=false,
    force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn prove_preprocessing(
    py: Python<'_>,
    commitment: PathBuf,
    data: PathBuf,
    rows_per_step: Option<usize>,
    private_normalizer: bool,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<PrepResult> {
    let args = commands::PrepArgs {
        commitment,
        data,
        rows_per_step,
        private_normalizer,
        force,
    };
    let observer = PyObserver::new(progress);
    let result = py.detach(|| commands::prove_preprocessing(&args, &observer));
    Ok(PrepResult(observer.finish(result)?))
}

/// Proves the model's accuracy on a committed split: `prove-eval`'s report.
#[pyfunction]
#[pyo3(signature = (model, commitment, data, *, split="test", group=None, out_dir=None,
    rows_per_step=None, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn prove_eval(
    py: Python<'_>,
    model: PathBuf,
    commitment: PathBuf,
    data: PathBuf,
    split: &str,
    group: Option<String>,
    out_dir: Option<PathBuf>,
    rows_per_step: Option<usize>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<EvalResult> {
    let args = commands::EvalArgs {
        infer: commands::InferArgs {
            model,
            out: out_dir,
            rows_per_step,
            force,
        },
        commitment,
        data,
        split: parse_split(split)?,
        group,
    };
    let observer = PyObserver::new(progress);
    let result = py.detach(|| commands::prove_eval(&args, &observer));
    Ok(EvalResult(observer.finish(result)?))
}

/// Proves the model's predictions on an inputs CSV: `prove-predict`'s
/// report (`raw=True`: from the raw values, normalized in the circuit).
#[pyfunction]
#[pyo3(signature = (model, inputs, *, out_dir=None, rows_per_step=None, force=false,
    raw=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn prove_predict(
    py: Python<'_>,
    model: PathBuf,
    inputs: PathBuf,
    out_dir: Option<PathBuf>,
    rows_per_step: Option<usize>,
    force: bool,
    raw: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<PredictResult> {
    let args = commands::PredictArgs {
        infer: commands::InferArgs {
            model,
            out: out_dir,
            rows_per_step,
            force,
        },
        inputs,
        raw,
    };
    let observer = PyObserver::new(progress);
    let result = py.detach(|| commands::prove_predict(&args, &observer));
    let report = observer.finish(result)?;
    // What the bundle states, read back by the library: the proven
    // decisions and, with public weights, logits.
    let statement = py
        .detach(|| commands::infer::inspect_infer(&report.proof.bundle))
        .map_err(to_py)?;
    Ok(PredictResult(Predicted { report, statement }))
}

/// The model's predictions on an inputs CSV, natively (no proof): the
/// fixed-point arithmetic `prove_predict` proves.
#[pyfunction]
fn predict(py: Python<'_>, model: PathBuf, inputs: PathBuf) -> PyResult<Vec<Prediction>> {
    let rows = py
        .detach(|| commands::predict(&model, &inputs))
        .map_err(to_py)?;
    Ok(rows.into_iter().map(Prediction).collect())
}

/// The default output folder's private part, as the CLI names it.
#[pyfunction]
fn private_dir(out_dir: PathBuf) -> PathBuf {
    commands::private_dir(Path::new(&out_dir))
}

/// The private part of `out_dir`, made owner-only (0700) when missing, by
/// the library's own rule.
#[pyfunction]
fn private_folder(out_dir: PathBuf) -> PyResult<PathBuf> {
    let dir = commands::private_dir(Path::new(&out_dir));
    foldtrain::artifact::ensure_private_dir(&dir).map_err(to_py)?;
    Ok(dir)
}

/// Where a run into `out_dir` keeps its checkpoints unless told otherwise.
#[pyfunction]
fn checkpoint_dir(out_dir: PathBuf) -> PathBuf {
    commands::private_dir(Path::new(&out_dir)).join(foldtrain::output::CHECKPOINTS)
}

/// Writes `data` to `path` as the library writes every private file:
/// atomically (a temporary file, synced, then renamed) and owner-only
/// (0600), in an owner-only folder made when missing.
#[pyfunction]
fn write_private(path: PathBuf, data: &[u8]) -> PyResult<()> {
    use foldtrain::artifact;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        artifact::ensure_private_dir(dir).map_err(to_py)?;
    }
    artifact::write_atomic(&path, data, artifact::Visibility::Private).map_err(to_py)
}

/// A model file (`model.json`, private or public, or `model.public.json`),
/// read and checked by the library.
#[pyfunction]
fn read_model(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
    let model = py.detach(|| ModelFile::read(&path)).map_err(to_py)?;
    Ok(Model(match model {
        ModelFile::Full(m) => ModelOf::Full(m),
        ModelFile::Public(p) => ModelOf::Public(p),
    }))
}

/// A commitment file (`commitment.json`), read and checked by the library.
#[pyfunction]
fn read_commitment(path: PathBuf) -> PyResult<Commitments> {
    let file = foldtrain::artifact::read_json(&path, CommitmentFile::KIND).map_err(to_py)?;
    Ok(Commitments(file))
}

/// The training and test rows of a labelled CSV, split by the library's
/// rule (the first `floor(rows * train_fraction)` rows, in file order,
/// train).
#[pyfunction]
#[pyo3(signature = (data, train_fraction, group=None))]
fn split(
    py: Python<'_>,
    data: PathBuf,
    train_fraction: f64,
    group: Option<String>,
) -> PyResult<(Table, Table)> {
    let fraction = TrainFraction::new(train_fraction).map_err(to_py)?;
    let (train, test) = py
        .detach(|| {
            let mut dataset = Dataset::load(&data)?;
            if let Some(name) = &group {
                dataset.take_group(name)?;
            }
            dataset.split(fraction)
        })
        .map_err(to_py)?;
    Ok((Table(train.into()), Table(test.into())))
}

/// Where the opening of an output folder's commitment lives (it is never
/// replaced: the only way to open a commitment that may be published).
#[pyfunction]
fn opening_path(out_dir: PathBuf) -> PathBuf {
    commands::private_dir(&out_dir).join(foldtrain::output::OPENING)
}

#[pymodule]
fn _foldtrain(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ProofRejected", m.py().get_type::<ProofRejected>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    reports::add_classes(m)?;
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(resume, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(prove_segment, m)?)?;
    m.add_function(wrap_pyfunction!(join, m)?)?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_class::<PyVerifier>()?;
    m.add_function(wrap_pyfunction!(probabilities, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(prove_eval, m)?)?;
    m.add_function(wrap_pyfunction!(prove_preprocessing, m)?)?;
    m.add_function(wrap_pyfunction!(prove_predict, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(private_dir, m)?)?;
    m.add_function(wrap_pyfunction!(private_folder, m)?)?;
    m.add_function(wrap_pyfunction!(checkpoint_dir, m)?)?;
    m.add_function(wrap_pyfunction!(write_private, m)?)?;
    m.add_function(wrap_pyfunction!(read_model, m)?)?;
    m.add_function(wrap_pyfunction!(read_commitment, m)?)?;
    m.add_function(wrap_pyfunction!(split, m)?)?;
    m.add_function(wrap_pyfunction!(opening_path, m)?)?;
    Ok(())
}
