//! `foldtrain._foldtrain`: the Rust library, called from Python.
//!
//! Each function is one library command. It takes paths and plain settings,
//! releases the GIL while it works, and returns the command's report as the
//! JSON the CLI prints with `--json`; `foldtrain/__init__.py` builds the
//! Python API on top. Errors become Python exceptions by kind: bad input is
//! a `ValueError`, a file that cannot be read or written an `OSError`, a
//! rejected proof `ProofRejected`, Ctrl-C `KeyboardInterrupt` (after the
//! checkpoint is written).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use foldtrain::commands::{self, DataArgs};
use foldtrain::commitment::Split;
use foldtrain::dataset::TrainFraction;
use foldtrain::fixed::{FixedFormat, Sigmoid};
use foldtrain::ivc::prover::{Observer, Phase};
use foldtrain::recipe::{Hyper, WeightsVisibility};
use foldtrain::Error;
use pyo3::create_exception;
use pyo3::exceptions::{
    PyException, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyRuntimeWarning, PyValueError,
};
use pyo3::prelude::*;
use serde::Serialize;

create_exception!(
    _foldtrain,
    ProofRejected,
    PyException,
    "A proof that does not establish its statement."
);

/// The CLI's flags and the Python parameters that set the same thing, with
/// whether the flag is a switch (`--force` is `force=True`).
const PARAMETERS: &[(&str, &str, bool)] = &[
    ("batch", "batch_size", false),
    ("batches-per-step", "batches_per_step", false),
    ("checkpoint-dir", "checkpoint_dir", false),
    ("checkpoint-every", "checkpoint_every", false),
    ("commitment", "commitment", false),
    ("data", "data", false),
    ("epochs", "epochs", false),
    ("eval", "eval", false),
    ("feature-frac-bits", "feature_frac_bits", false),
    ("force", "force", true),
    ("frac-bits", "frac_bits", false),
    ("lr", "learning_rate", false),
    ("model", "model", false),
    ("opening", "opening", false),
    ("out", "out_dir", false),
    ("predict", "predict", false),
    ("private-normalizer", "private_normalizer", true),
    ("private-weights", "private_weights", true),
    ("rows-per-step", "rows_per_step", false),
    ("split", "split", false),
    ("train", "train", false),
    ("train-fraction", "train_fraction", false),
    ("vk", "vk", false),
    ("vk-sha256", "vk_sha256", false),
];

/// The CLI's advice in Python's terms: `use --batch 16 or less` becomes
/// `use batch_size=16 or less`, `pass --force` becomes `pass force=True`,
/// so that what an error suggests can be typed as it reads. A command in
/// backticks (`` `foldtrain commit --out DIR` ``) is the CLI's and stays
/// as it is.
fn python_advice(msg: &str) -> String {
    msg.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                python_flags(part)
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

fn python_flags(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(at) = rest.find("--") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(after.len());
        let flag = &after[..len];
        match PARAMETERS.iter().find(|(f, _, _)| *f == flag) {
            Some((_, name, switch)) => {
                out.push_str(name);
                let tail = &after[len..];
                let value_len = tail
                    .strip_prefix(' ')
                    .map(|t| {
                        t.find(|c: char| !(c.is_ascii_digit() || c == '.'))
                            .unwrap_or(t.len())
                    })
                    .unwrap_or(0);
                if *switch {
                    out.push_str("=True");
                    rest = tail;
                } else if value_len > 0 {
                    out.push('=');
                    out.push_str(&tail[1..=value_len]);
                    rest = &tail[1 + value_len..];
                } else {
                    rest = tail;
                }
            }
            None => {
                out.push_str("--");
                out.push_str(flag);
                rest = &after[len..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A library error as the Python exception of its kind, with the message
/// the CLI prints (its advice in Python's terms, but for a checkpoint's
/// `foldtrain resume` command, which is the CLI's).
fn to_py(e: Error) -> PyErr {
    let msg = match e {
        Error::Interrupted(_) => e.to_string(),
        _ => python_advice(&e.to_string()),
    };
    match e {
        Error::Rejected(_) => ProofRejected::new_err(msg),
        Error::Interrupted(_) => PyKeyboardInterrupt::new_err(msg),
        Error::Io { .. } => PyOSError::new_err(msg),
        Error::Csv { .. }
        | Error::Dataset { .. }
        | Error::InvalidRecipe(_)
        | Error::Diverged(_)
        | Error::Artifact { .. }
        | Error::Mismatch(_)
        | Error::Checkpoint(_) => PyValueError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

fn to_json<T: Serialize>(report: &T) -> PyResult<String> {
    serde_json::to_string(report).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The recipe settings, as the CLI's flags: a dict from
/// `foldtrain/__init__.py` (`ProvenLogisticRegression._recipe`), every key
/// present.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct RecipeArgs {
    epochs: usize,
    learning_rate: f64,
    batch_size: usize,
    batches_per_step: Option<usize>,
    sigmoid: String,
    private_weights: bool,
    frac_bits: Option<u32>,
    feature_frac_bits: Option<u32>,
}

impl RecipeArgs {
    /// What `foldtrain commit` takes: the recipe's defaults but for the
    /// fixed-point format, the only part that enters the commitment.
    fn for_commit(frac_bits: Option<u32>, feature_frac_bits: Option<u32>) -> Self {
        let h = Hyper::default();
        RecipeArgs {
            epochs: h.epochs,
            learning_rate: h.learning_rate,
            batch_size: h.batch,
            batches_per_step: h.batches_per_step,
            sigmoid: h.sigmoid.name().to_string(),
            private_weights: false,
            frac_bits,
            feature_frac_bits,
        }
    }

    /// The library's data and recipe arguments for the rows in `data`.
    fn data_args(self, data: PathBuf, train_fraction: f64) -> PyResult<DataArgs> {
        let RecipeArgs {
            epochs,
            learning_rate,
            batch_size,
            batches_per_step,
            sigmoid,
            private_weights,
            frac_bits,
            feature_frac_bits,
        } = self;
        let sigmoid = Sigmoid::from_name(&sigmoid).ok_or_else(|| {
            let names: Vec<&str> = Sigmoid::ALL.iter().map(|s| s.name()).collect();
            PyValueError::new_err(format!(
                "unknown sigmoid `{sigmoid}`; choose one of {}",
                names.join(", ")
            ))
        })?;
        let default = FixedFormat::default();
        Ok(DataArgs {
            data,
            train_fraction: TrainFraction::new(train_fraction).map_err(to_py)?,
            hyper: Hyper {
                epochs,
                learning_rate,
                batch: batch_size,
                batches_per_step,
                sigmoid,
                format: FixedFormat {
                    frac_bits: frac_bits.unwrap_or(default.frac_bits),
                    feature_frac_bits: feature_frac_bits.unwrap_or(default.feature_frac_bits),
                    ..default
                },
                weights: if private_weights {
                    WeightsVisibility::Committed
                } else {
                    WeightsVisibility::Public
                },
            },
        })
    }
}

/// Reports the prover's progress to a Python callable
/// `progress(phase, done, total)` and turns Ctrl-C into the prover's
/// interrupt flag: the run stops after the current step with a checkpoint.
struct PyObserver {
    progress: Option<Py<PyAny>>,
    interrupt: Arc<AtomicBool>,
    total: Mutex<usize>,
    /// An exception the callback raised, re-raised when the run ends.
    failure: Mutex<Option<PyErr>>,
}

impl PyObserver {
    fn new(progress: Option<Py<PyAny>>) -> Self {
        PyObserver {
            progress,
            interrupt: Arc::new(AtomicBool::new(false)),
            total: Mutex::new(0),
            failure: Mutex::new(None),
        }
    }

    fn report(&self, phase: &str, done: usize, total: usize) {
        Python::attach(|py| {
            // A pending Ctrl-C raises here; so may the callback.
            let result = py.check_signals().and_then(|()| match &self.progress {
                Some(cb) => cb.call1(py, (phase, done, total)).map(drop),
                None => Ok(()),
            });
            if let Err(e) = result {
                self.interrupt.store(true, Ordering::SeqCst);
                let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                failure.get_or_insert(e);
            }
        });
    }

    /// The run's result, or the exception that stopped it: Ctrl-C (a
    /// `KeyboardInterrupt`, with the checkpoint's message when one was
    /// written) or the callback's own.
    fn finish<T>(self, result: foldtrain::Result<T>) -> PyResult<T> {
        let failure = self.failure.into_inner().unwrap_or_else(|p| p.into_inner());
        match (result, failure) {
            (Ok(v), None) => Ok(v),
            (Err(e @ Error::Interrupted(_)), Some(f)) => Python::attach(|py| {
                if f.is_instance_of::<PyKeyboardInterrupt>(py) {
                    Err(to_py(e))
                } else {
                    Err(f)
                }
            }),
            // The run finished (its folder is complete) though the callback
            // failed, or Ctrl-C came, after the last step: keep the result,
            // and say what happened.
            (Ok(v), Some(f)) => Python::attach(|py| {
                let msg = format!(
                    "the run finished and its outputs are written, but the progress callback \
                     raised after the last step (ignored): {f}"
                );
                let msg = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
                let category = py.get_type::<PyRuntimeWarning>();
                PyErr::warn(py, &category, &msg, 1)?;
                Ok(v)
            }),
            (Err(e), _) => Err(to_py(e)),
        }
    }
}

impl Observer for PyObserver {
    fn phase(&self, phase: Phase) {
        match phase {
            Phase::Setup => self.report("setup", 0, 0),
            Phase::Fold { done, total } => {
                *self.total.lock().unwrap_or_else(|p| p.into_inner()) = total;
                self.report("fold", done, total);
            }
            Phase::Compress => self.report("compress", 0, 0),
            Phase::Check => self.report("check", 0, 0),
        }
    }

    fn folded(&self, done: usize) {
        let total = *self.total.lock().unwrap_or_else(|p| p.into_inner());
        self.report("fold", done, total);
    }
}

/// Commits to both splits: `commit`'s report.
#[pyfunction]
#[pyo3(signature = (data, out_dir, *, train_fraction, frac_bits=None, feature_frac_bits=None,
    force=false))]
fn commit(
    py: Python<'_>,
    data: PathBuf,
    out_dir: PathBuf,
    train_fraction: f64,
    frac_bits: Option<u32>,
    feature_frac_bits: Option<u32>,
    force: bool,
) -> PyResult<String> {
    // The recipe's other settings do not enter the commitment.
    let args =
        RecipeArgs::for_commit(frac_bits, feature_frac_bits).data_args(data, train_fraction)?;
    let report = py
        .detach(|| commands::commit(&args, &out_dir, force))
        .map_err(to_py)?;
    to_json(&report)
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
) -> PyResult<String> {
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
    to_json(&observer.finish(result)?)
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
) -> PyResult<String> {
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
    to_json(&observer.finish(result)?)
}

/// What a prove would cost, timed on this machine: `estimate`'s report.
#[pyfunction]
#[pyo3(signature = (data, *, train_fraction, recipe))]
fn estimate(
    py: Python<'_>,
    data: PathBuf,
    train_fraction: f64,
    recipe: RecipeArgs,
) -> PyResult<String> {
    let args = recipe.data_args(data, train_fraction)?;
    to_json(&py.detach(|| commands::estimate(&args)).map_err(to_py)?)
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
) -> PyResult<String> {
    // A key file without its pin, or a pin without its file, is refused
    // with the CLI's message (its flags in Python's terms).
    let vk: Vec<PathBuf> = vk.into_iter().collect();
    let pins: Vec<String> = vk_sha256.into_iter().collect();
    let key = commands::KeyChoice::from_flags(&vk, &pins, &bundle).map_err(to_py)?;
    let bundles = [bundle];
    let report = py
        .detach(|| commands::verify::verify_bundles(&bundles, model.as_deref(), key))
        .map_err(to_py)?;
    to_json(&report)
}

/// What a bundle claims, without verifying it (`verified` is false).
#[pyfunction]
fn inspect(py: Python<'_>, bundle: PathBuf) -> PyResult<String> {
    to_json(
        &py.detach(|| commands::verify::inspect_bundle(&bundle))
            .map_err(to_py)?,
    )
}

/// Audits a training bundle, or with any of `eval`, `predict`,
/// `commitment`, `report` the chain of statements: the audit's report,
/// with `passed`.
#[pyfunction]
#[pyo3(signature = (train, *, eval=None, predict=None, commitment=None, data=None, opening=None,
    model=None, report=None, vk=Vec::new(), vk_sha256=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn audit(
    py: Python<'_>,
    train: PathBuf,
    eval: Option<PathBuf>,
    predict: Option<PathBuf>,
    commitment: Option<PathBuf>,
    data: Option<PathBuf>,
    opening: Option<PathBuf>,
    model: Option<PathBuf>,
    report: Option<PathBuf>,
    vk: Vec<PathBuf>,
    vk_sha256: Vec<String>,
) -> PyResult<String> {
    let args = commands::ChainArgs {
        train,
        eval,
        predict,
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
    to_json(&r)
}

fn parse_split(split: &str) -> PyResult<Split> {
    match split {
        "test" => Ok(Split::Test),
        "train" => Ok(Split::Train),
        other => Err(PyValueError::new_err(format!(
            "`{other}` is not a split: give \"test\" or \"train\""
        ))),
    }
}

/// Proves the model's accuracy on a committed split: `prove-eval`'s report.
#[pyfunction]
#[pyo3(signature = (model, commitment, data, *, split="test", out_dir=None, rows_per_step=None,
    force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn prove_eval(
    py: Python<'_>,
    model: PathBuf,
    commitment: PathBuf,
    data: PathBuf,
    split: &str,
    out_dir: Option<PathBuf>,
    rows_per_step: Option<usize>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
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
    };
    let observer = PyObserver::new(progress);
    let result = py.detach(|| commands::prove_eval(&args, &observer));
    to_json(&observer.finish(result)?)
}

/// Proves the model's predictions on an inputs CSV: `prove-predict`'s
/// report.
#[pyfunction]
#[pyo3(signature = (model, inputs, *, out_dir=None, rows_per_step=None, force=false,
    progress=None))]
fn prove_predict(
    py: Python<'_>,
    model: PathBuf,
    inputs: PathBuf,
    out_dir: Option<PathBuf>,
    rows_per_step: Option<usize>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let args = commands::PredictArgs {
        infer: commands::InferArgs {
            model,
            out: out_dir,
            rows_per_step,
            force,
        },
        inputs,
    };
    let observer = PyObserver::new(progress);
    let result = py.detach(|| commands::prove_predict(&args, &observer));
    to_json(&observer.finish(result)?)
}

/// The model's predictions on an inputs CSV, natively (no proof): the
/// fixed-point arithmetic `prove_predict` proves.
#[pyfunction]
fn predict(py: Python<'_>, model: PathBuf, inputs: PathBuf) -> PyResult<String> {
    to_json(
        &py.detach(|| commands::predict(&model, &inputs))
            .map_err(to_py)?,
    )
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

/// The feature names of a model file (`model.json`, private or public, or
/// `model.public.json`), read and checked by the library.
#[pyfunction]
fn model_feature_names(path: PathBuf) -> PyResult<Vec<String>> {
    use foldtrain::artifact::read_json;
    use foldtrain::model::{Model, PublicModel};
    match read_json::<Model>(&path, Model::KIND) {
        Ok(model) => Ok(model.feature_names),
        Err(full) => match read_json::<PublicModel>(&path, PublicModel::KIND) {
            Ok(public) => Ok(public.feature_names),
            Err(_) => Err(to_py(full)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::python_advice;

    #[test]
    fn advice_names_the_python_parameters() {
        assert_eq!(
            python_advice(
                "batch size 64 is larger than the 40 training rows; use --batch 40 or less"
            ),
            "batch size 64 is larger than the 40 training rows; use batch_size=40 or less"
        );
        assert_eq!(
            python_advice("exists; pass --force to replace it, or choose another --out"),
            "exists; pass force=True to replace it, or choose another out_dir"
        );
        assert_eq!(
            python_advice("use a smaller --batch or --batches-per-step"),
            "use a smaller batch_size or batches_per_step"
        );
        assert_eq!(
            python_advice("prove with --feature-frac-bits 4 --frac-bits 16"),
            "prove with feature_frac_bits=4 frac_bits=16"
        );
        assert_eq!(python_advice("raise --lr"), "raise learning_rate");
        // A CLI command in backticks stays the CLI's.
        assert_eq!(
            python_advice(
                "choose another --out; to finish, use `foldtrain resume --checkpoint-dir c`"
            ),
            "choose another out_dir; to finish, use `foldtrain resume --checkpoint-dir c`"
        );
        // Not a flag of ours: left as it is.
        assert_eq!(python_advice("--json and a -- b"), "--json and a -- b");
    }
}

#[pymodule]
fn _foldtrain(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ProofRejected", m.py().get_type::<ProofRejected>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(resume, m)?)?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(prove_eval, m)?)?;
    m.add_function(wrap_pyfunction!(prove_predict, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(private_dir, m)?)?;
    m.add_function(wrap_pyfunction!(private_folder, m)?)?;
    m.add_function(wrap_pyfunction!(checkpoint_dir, m)?)?;
    m.add_function(wrap_pyfunction!(write_private, m)?)?;
    m.add_function(wrap_pyfunction!(model_feature_names, m)?)?;
    Ok(())
}
