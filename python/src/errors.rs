//! Library errors as Python exceptions, by kind, with the CLI's message:
//! bad input is a `ValueError`, a file that cannot be read or written an
//! `OSError`, a rejected proof `ProofRejected`, Ctrl-C `KeyboardInterrupt`
//! (after the checkpoint is written). The CLI's advice reads in Python's
//! terms (`use --batch 16 or less` becomes `use batch_size=16 or less`).

use foldtrain::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

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
pub(crate) fn python_advice(msg: &str) -> String {
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
pub fn to_py(e: Error) -> PyErr {
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
