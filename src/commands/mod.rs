//! One library function per command. The binary only parses arguments,
//! calls these and prints their reports; tests call them directly.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::artifact::{self, Visibility};
use crate::commitment::{Commitment, CommittedRows, Opening, Salts};
use crate::dataset::{Dataset, FixedDataset, Prepared, TrainFraction};
use crate::error::Result;
use crate::fixed::FixedFormat;
use crate::model::Model;
use crate::output::{self, OutputDir};
use crate::recipe::{ClassWeight, Hyper, Recipe};
use crate::train;

pub mod audit;
pub mod estimate;
pub mod infer;
pub mod keys;
pub mod prep;
pub mod prove;
pub mod segments;
pub mod verify;

pub use audit::{audit, audit_chain, AuditReport, ChainArgs, ChainReport};
pub use estimate::{estimate, EstimateReport, CALIBRATION_STEPS};
pub use infer::{
    predict, prove_eval, prove_predict, verify_infer, EvalArgs, EvalReport, InferArgs, PredictArgs,
    PredictReport, PredictionRow,
};
pub use keys::{keys, KeysReport, RecipeSource};
pub use prep::{prove_preprocessing, PrepArgs, PrepReport, PREP_BUNDLE_FILE};
pub use prove::{
    default_out_dir, prove, prove_with, resume, resume_with, ProveArgs, ProveReport, ResumeArgs,
    RunSettings,
};
pub use segments::{
    join, join_with, plan, prove_in_segments, prove_segment, prove_segment_with, JoinArgs,
    PlanReport, SegmentArgs, SegmentPlan, SegmentReport, SegmentTime,
};
pub use verify::{
    inspect, model_differences, verify, verify_all, BatchReport, InspectReport, KeyChoice,
    StatementSummary, VerifyArgs, VerifyReport,
};

/// The shipped default dataset: German credit, the credit-scoring case.
pub const DEFAULT_DATASET: &str = "datasets/german_credit.csv";

/// Default share of rows that train (file order); the rest test.
pub const DEFAULT_TRAIN_FRACTION: TrainFraction = TrainFraction::DEFAULT;

/// The default dataset's path: relative to the working folder when it exists
/// there, else inside the source tree this binary was built from.
pub fn default_dataset() -> PathBuf {
    let local = PathBuf::from(DEFAULT_DATASET);
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_DATASET)
    }
}

/// What every data-driven command needs: the CSV and how to prepare it.
#[derive(Clone, Debug)]
pub struct DataArgs {
    pub data: PathBuf,
    pub train_fraction: TrainFraction,
    pub hyper: Hyper,
    /// The protected attribute to leave out of the features and commit
    /// with the test rows (`commit --group`; a commitment's own when one is
    /// opened).
    pub group: Option<String>,
}

/// Loaded, split and quantized data with its recipe.
pub struct Loaded {
    pub dataset: Dataset,
    pub prepared: Prepared,
    /// The test rows, quantized with the training rows' normalizer.
    pub test_fixed: FixedDataset,
    pub recipe: Recipe,
    pub source_sha256: String,
}

impl Loaded {
    /// Commits to both splits under fresh salts.
    pub fn commit(&self) -> Opening {
        self.commit_with_salts(Salts::random())
    }

    /// Commits to both splits, quantized and raw, under `salts` (resuming
    /// a run).
    pub fn commit_with_salts(&self, salts: Salts) -> Opening {
        Opening::commit_with_salts(
            CommittedRows::of(&self.prepared),
            &self.recipe.format,
            self.prepared.train_fraction,
            self.source_sha256.clone(),
            salts,
        )
    }
}

impl DataArgs {
    /// Loads the CSV, splits, normalizes, quantizes and builds the recipe.
    pub fn load(&self) -> Result<Loaded> {
        // The format decides the quantization: check it before using it.
        self.hyper.format.validate()?;
        let bytes = artifact::read_limited(&self.data, crate::dataset::MAX_CSV_BYTES)?;
        let mut dataset = Dataset::parse(&self.data, &bytes)?;
        let group = match &self.group {
            Some(name) => Some(dataset.take_group(name)?),
            None => None,
        };
        let mut prepared = Prepared::new(&dataset, self.train_fraction, &self.hyper.format)?;
        if let Some((column, codes)) = group {
            let test = codes[prepared.train.rows.len()..].to_vec();
            prepared.group = Some((column, test));
        }
        // Balanced class weights come from the training labels, and the
        // recipe records the two numbers they give.
        let hyper = Hyper {
            class_weight: match self.hyper.class_weight.resolve(&prepared.train.labels)? {
                Some(weights) => ClassWeight::Given(weights),
                None => ClassWeight::None,
            },
            ..self.hyper.clone()
        };
        let mut recipe = Recipe::new(&hyper, dataset.features(), prepared.train_fixed.len())?;
        if self.hyper.batches_per_step.is_none() {
            // Unless the user chose K: the one of least predicted time.
            recipe = crate::plan::choose(&recipe)?;
        }
        let test_fixed = prepared.test_fixed.clone();
        Ok(Loaded {
            source_sha256: artifact::sha256_hex(&bytes),
            dataset,
            prepared,
            test_fixed,
            recipe,
        })
    }
}

/// `train`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    pub data: PathBuf,
    pub recipe: Recipe,
    pub train_rows: usize,
    pub test_rows: usize,
    pub train_accuracy: f64,
    pub test_accuracy: Option<f64>,
    /// The fixed-point model's confusion counts on the test rows (what
    /// `prove-eval` proves).
    pub test_confusion: train::Confusion,
    pub float_train_accuracy: f64,
    pub float_test_accuracy: Option<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub model_path: Option<PathBuf>,
}

/// Trains natively in fixed point (the proven computation) and in f64.
pub fn train(args: &DataArgs, out: Option<&Path>) -> Result<(TrainReport, Model)> {
    let loaded = args.load()?;
    let p = &loaded.prepared;
    let recipe = &loaded.recipe;
    let weights = train::train_fixed(recipe, &p.train_fixed)?;
    let model = Model::new(
        recipe.clone(),
        loaded.dataset.feature_names.clone(),
        p.train_fraction,
        p.normalizer.clone(),
        &weights,
    )?;
    let float = train::train_float(recipe, &p.train, &p.normalizer);
    let f = recipe.format.feature_frac_bits;
    let test_fixed = &p.test_fixed;
    if let Some(path) = out {
        artifact::write_json(path, &model, Visibility::Public)?;
    }
    let report = TrainReport {
        data: args.data.clone(),
        recipe: recipe.clone(),
        train_rows: p.train.rows.len(),
        test_rows: p.test.rows.len(),
        train_accuracy: train::accuracy_fixed(&weights, &p.train_fixed, f).unwrap_or(0.0),
        test_accuracy: train::accuracy_fixed(&weights, test_fixed, f),
        test_confusion: train::confusion_fixed(&weights, test_fixed, f),
        float_train_accuracy: train::accuracy_float(&float, &p.train, &p.normalizer).unwrap_or(0.0),
        float_test_accuracy: train::accuracy_float(&float, &p.test, &p.normalizer),
        weights: model.decimal_weights().0,
        bias: model.decimal_weights().1,
        model_path: out.map(Path::to_path_buf),
    };
    Ok((report, model))
}

/// One split's public commitment.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct SplitCommitment {
    pub commitment: Commitment,
    pub rows: usize,
}

/// The public commitment file, `commitment.json`: what a data owner
/// publishes before training, so that neither split can be chosen after
/// seeing the model.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct CommitmentFile {
    pub kind: String,
    pub version: u32,
    /// The training rows' commitment (the training proof is against it).
    pub train: SplitCommitment,
    /// The test rows' commitment (under its own domain separator).
    pub test: SplitCommitment,
    /// The raw training rows' commitment (their values as integers at
    /// `2^-16`, under domains of their own): what `prove-preprocessing`
    /// proves the normalizer and the quantized rows from.
    pub raw_train: SplitCommitment,
    /// The raw test rows' commitment.
    pub raw_test: SplitCommitment,
    pub features: usize,
    /// How the rows were quantized (part of what is committed).
    pub format: FixedFormat,
    /// The split rule's parameter.
    pub train_fraction: TrainFraction,
    /// The split rule, in words.
    pub split: String,
    /// The preprocessing rule (proven by `prove-preprocessing`), in words,
    /// and its version.
    pub preprocessing: String,
    pub preprocessing_version: u32,
    /// The protected attribute committed with the test rows (`commit
    /// --group`): its groups and their commitment `C_G`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<crate::group::PublicGroup>,
}

/// The split rule, as `commitment.json` states it.
pub const SPLIT_RULE: &str = "rows in file order: the first floor(rows x train_fraction) train, \
                              the rest test";
/// The preprocessing rule, as `commitment.json` states it.
pub const PREPROCESSING_RULE: &str = "each value read as the integer r = round(x * 2^16); per \
     feature, over the n training rows, mu = floor(sum r / n), v = floor(sum (r - mu)^2 / n), \
     sigma = isqrt(v); each value quantized to floor((2^(Fx+1) (r - mu) + d) / 2d) (the nearest \
     multiple of 2^-Fx of (r - mu) / d, halves up) with d = sigma, or 2^16 when sigma = 0, \
     clamped to the format's feature range; labels 0/1";
/// The version of [`PREPROCESSING_RULE`] (2: the integer rule).
pub const PREPROCESSING_VERSION: u32 = 2;

impl CommitmentFile {
    pub const KIND: &'static str = "foldtrain-commitment";
    /// The version of the commitment file's layout (3: the raw rows' too).
    pub const VERSION: u32 = 3;

    /// Reads `commitment.json` (a folder means its `commitment.json`): a
    /// file of another layout version is refused by its version, with what
    /// to do, before its fields are read; a missing one says what to give.
    pub fn read(path: &Path) -> Result<Self> {
        let file = if path.is_dir() {
            path.join(COMMITMENT_FILE)
        } else {
            path.to_path_buf()
        };
        if !file.is_file() {
            return Err(crate::error::Error::artifact(
                &file,
                "does not exist: give the folder that `foldtrain commit --out DIR` wrote (it \
                 holds commitment.json and private/opening.json), or its commitment.json",
            ));
        }
        let value: serde_json::Value = artifact::read_json(&file, Self::KIND)?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(Self::VERSION)) {
            return Err(crate::error::Error::artifact(
                &file,
                format!(
                    "has layout version {}, this build reads version {}; commit again with \
                     `foldtrain commit`",
                    version.map_or("(none)".into(), |v| v.to_string()),
                    Self::VERSION
                ),
            ));
        }
        serde_json::from_value(value).map_err(|e| {
            crate::error::Error::artifact(&file, format!("not a commitment file: {e}"))
        })
    }

    /// The public part of an opening.
    pub fn of(opening: &Opening) -> Self {
        let split = |o: &crate::commitment::SplitOpening| SplitCommitment {
            commitment: o.commitment,
            rows: o.rows,
        };
        CommitmentFile {
            kind: Self::KIND.into(),
            version: Self::VERSION,
            train: split(&opening.train),
            test: split(&opening.test),
            raw_train: split(&opening.raw_train),
            raw_test: split(&opening.raw_test),
            features: opening.features,
            format: opening.format,
            train_fraction: opening.train_fraction,
            split: SPLIT_RULE.into(),
            preprocessing: PREPROCESSING_RULE.into(),
            preprocessing_version: PREPROCESSING_VERSION,
            group: opening.group.as_ref().map(crate::group::PublicGroup::from),
        }
    }
}

/// `commit`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct CommitReport {
    pub commitment: Commitment,
    pub rows: usize,
    pub test_commitment: Commitment,
    pub test_rows: usize,
    /// The raw rows' commitments (what `prove-preprocessing` starts from).
    pub raw_commitment: Commitment,
    pub raw_test_commitment: Commitment,
    pub features: usize,
    /// The protected attribute committed with the test rows, if any.
    pub group: Option<crate::group::PublicGroup>,
    pub commitment_path: PathBuf,
    pub opening_path: PathBuf,
}

pub use crate::output::{private_dir, PRIVATE_DIR};

/// The proof bundle, at the top of an output folder.
pub const BUNDLE_FILE: &str = "proof.bundle";
/// The model, at the top of an output folder (public weights) or under
/// `private/` (committed weights).
pub const MODEL_FILE: &str = "model.json";
/// What may be shown of a model with committed weights, at the top of an
/// output folder.
pub const PUBLIC_MODEL_FILE: &str = "model.public.json";
/// The public files `prove` and `resume` write; a run refuses to start if
/// one exists, unless `--force` (`commitment.json` is checked on its own:
/// one of the run's own commitment is kept).
pub(crate) const PROVE_OUTPUTS: &[&str] =
    &[BUNDLE_FILE, MODEL_FILE, PUBLIC_MODEL_FILE, output::MANIFEST];
/// The public commitment file `commit` writes.
pub const COMMITMENT_FILE: &str = "commitment.json";

/// Commits to both splits, before any training: writes `commitment.json`
/// (public) into `out_dir` and `opening.json` (0600: both salts) into its
/// `private/` folder.
///
/// Refuses a folder that holds an opening already (it may open a published
/// commitment), or a `commitment.json` unless `force`.
pub fn commit(args: &DataArgs, out_dir: &Path, force: bool) -> Result<CommitReport> {
    let loaded = args.load()?;
    let opening = loaded.commit();
    let out = OutputDir::lock(out_dir)?;
    // A fresh salt: any opening already here is another commitment's, and
    // refused whatever --force says; so that is checked first.
    out.plan_opening(&opening.commitment())?;
    out.refuse_existing_public(&[COMMITMENT_FILE, output::MANIFEST], force)?;
    out.begin()?;
    let opening_path = private_dir(out_dir).join(output::OPENING);
    let commitment_path = out_dir.join(COMMITMENT_FILE);
    artifact::write_json(&opening_path, &opening, Visibility::Private)?;
    artifact::write_json(
        &commitment_path,
        &CommitmentFile::of(&opening),
        Visibility::Public,
    )?;
    out.finish("commit", &[COMMITMENT_FILE], &[output::OPENING])?;
    Ok(CommitReport {
        commitment: opening.commitment(),
        rows: opening.train.rows,
        test_commitment: opening.test.commitment,
        test_rows: opening.test.rows,
        raw_commitment: opening.raw_train.commitment,
        raw_test_commitment: opening.raw_test.commitment,
        features: opening.features,
        group: opening.group.as_ref().map(crate::group::PublicGroup::from),
        commitment_path,
        opening_path,
    })
}

/// `evaluate`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct EvaluateReport {
    pub model: PathBuf,
    pub data: PathBuf,
    /// The split evaluated on (by the model's training fraction), or every
    /// row of the CSV.
    pub split: Option<crate::commitment::Split>,
    pub rows: usize,
    pub accuracy: f64,
    /// Confusion counts at the decision `z >= 0`: what `prove-eval` proves.
    pub counts: crate::train::Confusion,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// Accuracy and confusion counts of a saved model on a CSV, or on one of
/// its splits (by the model's training fraction, as `commit` splits).
pub fn evaluate(
    model_path: &Path,
    data: &Path,
    split: Option<crate::commitment::Split>,
) -> Result<EvaluateReport> {
    let model: Model = artifact::read_json(model_path, Model::KIND)?;
    let dataset = Dataset::load(data)?;
    let dataset = match split {
        None => dataset,
        Some(s) => {
            let (train, test) = dataset.split(model.train_fraction)?;
            match s {
                crate::commitment::Split::Train => train,
                crate::commitment::Split::Test => test,
            }
        }
    };
    let counts = model.confusion(&dataset)?;
    Ok(EvaluateReport {
        model: model_path.into(),
        data: data.into(),
        split,
        rows: dataset.rows.len(),
        accuracy: model.accuracy(&dataset)?,
        precision: counts.precision(),
        recall: counts.recall(),
        counts,
    })
}

/// An accuracy as a percentage, or why there is none.
fn pct(v: Option<f64>) -> String {
    v.map_or_else(
        || "n/a (no test rows)".into(),
        |a| format!("{:.2}%", a * 100.0),
    )
}

impl fmt::Display for TrainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} training rows, {} test rows, {} features",
            self.data.display(),
            self.train_rows,
            self.test_rows,
            self.recipe.features
        )?;
        writeln!(f, "recipe: {}", self.recipe.summary())?;
        writeln!(f, "                 train      test")?;
        let row = |name: &str, train: f64, test: Option<f64>| {
            format!("{name}  {:>8}  {:>8}", pct(Some(train)), pct(test))
        };
        writeln!(
            f,
            "{}",
            row("fixed point ", self.train_accuracy, self.test_accuracy)
        )?;
        write!(
            f,
            "{}",
            row(
                "float (f64) ",
                self.float_train_accuracy,
                self.float_test_accuracy
            )
        )?;
        let c = &self.test_confusion;
        if let (Some(recall), Some(specificity)) = (c.recall(), c.specificity()) {
            write!(
                f,
                "\nfixed point on the test rows: recall (TPR) {}, specificity (TNR) {}, \
                 balanced accuracy {}",
                pct(Some(recall)),
                pct(Some(specificity)),
                pct(Some((recall + specificity) / 2.0))
            )?;
        }
        if let Some(p) = &self.model_path {
            write!(f, "\nmodel written to {}", p.display())?;
        }
        Ok(())
    }
}

impl fmt::Display for CommitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "training commitment {} ({} rows x {} features)",
            self.commitment, self.rows, self.features
        )?;
        writeln!(
            f,
            "test commitment     {} ({} rows)",
            self.test_commitment, self.test_rows
        )?;
        writeln!(
            f,
            "raw rows            {} (training), {} (test)",
            self.raw_commitment, self.raw_test_commitment
        )?;
        if let Some(g) = &self.group {
            writeln!(
                f,
                "groups of {}    {} ({} groups: {}; left out of the features)",
                g.column.name,
                g.commitment,
                g.column.groups(),
                g.column.labels.join(", ")
            )?;
        }
        writeln!(f, "public:  {}", self.commitment_path.display())?;
        write!(
            f,
            "private: {} (keep it secret: it opens the commitment)",
            self.opening_path.display()
        )
    }
}

impl fmt::Display for EvaluateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "accuracy {:.2}% on {} rows{} (TP {} FP {} TN {} FN {}; natively, not proven)",
            self.accuracy * 100.0,
            self.rows,
            match self.split {
                Some(s) => format!(" of the {} split", crate::circuit::infer::split_name(s)),
                None => String::new(),
            },
            c.tp,
            c.fp,
            c.tn,
            c.fn_
        )
    }
}
