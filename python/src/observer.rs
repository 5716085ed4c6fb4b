//! The prover's progress, reported to a Python callable, and Ctrl-C, turned
//! into the prover's interrupt flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use foldtrain::ivc::prover::{Observer, Phase};
use foldtrain::Error;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeWarning};
use pyo3::prelude::*;

use crate::errors::to_py;

/// Reports the prover's progress to a Python callable
/// `progress(phase, done, total)` and turns Ctrl-C into the prover's
/// interrupt flag: the run stops after the current step with a checkpoint.
pub struct PyObserver {
    progress: Option<Py<PyAny>>,
    pub interrupt: Arc<AtomicBool>,
    total: Mutex<usize>,
    /// An exception the callback raised, re-raised when the run ends.
    failure: Mutex<Option<PyErr>>,
}

impl PyObserver {
    pub fn new(progress: Option<Py<PyAny>>) -> Self {
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
    pub fn finish<T>(self, result: foldtrain::Result<T>) -> PyResult<T> {
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
