//! Settings as Python passes them, made into the library's arguments (the
//! library validates them, as it validates the CLI's flags).

use std::path::PathBuf;

use foldtrain::commands::DataArgs;
use foldtrain::commitment::Split;
use foldtrain::dataset::TrainFraction;
use foldtrain::fixed::{FixedFormat, Sigmoid};
use foldtrain::recipe::{ClassWeight, Hyper, WeightsVisibility};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::to_py;

/// The recipe settings, as the CLI's flags: a dict from
/// `foldtrain/__init__.py` (`ProvenLogisticRegression._recipe`), every key
/// present.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct RecipeArgs {
    epochs: usize,
    learning_rate: f64,
    l2: f64,
    /// `None`, `"balanced"` or `{0: w0, 1: w1}` (read by the module).
    class_weight: Option<[f64; 2]>,
    class_weight_balanced: bool,
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
    pub fn for_commit(frac_bits: Option<u32>, feature_frac_bits: Option<u32>) -> Self {
        let h = Hyper::default();
        RecipeArgs {
            epochs: h.epochs,
            learning_rate: h.learning_rate,
            l2: h.l2,
            class_weight: None,
            class_weight_balanced: false,
            batch_size: h.batch,
            batches_per_step: h.batches_per_step,
            sigmoid: h.sigmoid.name().to_string(),
            private_weights: false,
            frac_bits,
            feature_frac_bits,
        }
    }

    /// The library's data and recipe arguments for the rows in `data`.
    pub fn data_args(self, data: PathBuf, train_fraction: f64) -> PyResult<DataArgs> {
        let RecipeArgs {
            epochs,
            learning_rate,
            l2,
            class_weight,
            class_weight_balanced,
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
                l2,
                class_weight: match (class_weight_balanced, class_weight) {
                    (true, _) => ClassWeight::Balanced,
                    (false, Some(w)) => ClassWeight::Given(w),
                    (false, None) => ClassWeight::None,
                },
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
            group: None,
        })
    }
}

pub fn parse_split(split: &str) -> PyResult<Split> {
    match split {
        "test" => Ok(Split::Test),
        "train" => Ok(Split::Train),
        other => Err(PyValueError::new_err(format!(
            "`{other}` is not a split: give \"test\" or \"train\""
        ))),
    }
}
