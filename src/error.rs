//! Typed errors of the library. Every message says what is wrong and, where
//! it can, what to do next.

use std::path::PathBuf;

/// Everything that can go wrong in foldtrain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A CSV file that does not follow the documented format.
    #[error("{path}: line {line}, column {column}{named}: {reason}", named = column_name(name))]
    Csv {
        path: PathBuf,
        line: u64,
        column: usize,
        /// The column's name in the header, when the header was read.
        name: Option<String>,
        reason: String,
    },
    /// A CSV problem that belongs to the whole file rather than one cell.
    #[error("{path}: {reason}")]
    Dataset { path: PathBuf, reason: String },
    /// Settings that are out of range or inconsistent.
    #[error("invalid recipe: {0}")]
    InvalidRecipe(String),
    /// Training left the declared fixed-point range.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// Reading or writing a file failed.
    #[error("{path}: {cause}{advice}", advice = io_advice(cause))]
    Io {
        path: PathBuf,
        // Not named `source` (thiserror would chain it): the message already
        // carries it, and the binary prints the whole chain.
        cause: std::io::Error,
    },
    /// A file that is not a valid artifact of the expected kind.
    #[error("{path}: {reason}")]
    Artifact { path: PathBuf, reason: String },
    /// A bundle that is not accepted: the only error that means "this proof
    /// does not establish its statement" (exit 1).
    #[error("proof rejected: {0}")]
    Rejected(Rejection),
    /// Data, an opening or a commitment that do not belong together (not a
    /// proof rejection: nothing was verified).
    #[error("{0}")]
    Mismatch(String),
    /// An error inside the proof system.
    #[error("proof system error: {0}")]
    Nova(#[from] nova_snark::errors::NovaError),
    /// A constraint system refused the circuit.
    #[error("circuit synthesis failed: {0}")]
    Synthesis(#[from] nova_snark::frontend::SynthesisError),
    /// A value could not be encoded (a bundle, a key, parameters).
    #[error("cannot encode: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    /// Something this build should never do: a bug to report.
    #[error("internal error (a bug; please report it): {0}")]
    Internal(String),
    /// A checkpoint that cannot be used to resume.
    #[error("checkpoint refused: {0}")]
    Checkpoint(String),
    /// A segment's worker process failed (`prove --segments`).
    #[error("proving in segments failed: {0}")]
    Segment(String),
    /// The run was interrupted (Ctrl-C) after saving a checkpoint.
    #[error("interrupted: {0}")]
    Interrupted(String),
}

/// What to do next after an I/O error, where the kind says it.
fn io_advice(cause: &std::io::Error) -> &'static str {
    match cause.kind() {
        std::io::ErrorKind::NotFound => {
            "; check the path (a relative path starts at the working folder)"
        }
        std::io::ErrorKind::PermissionDenied => "; check the file's and its folder's permissions",
        _ => "",
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }

    /// An artifact error for `path`.
    pub fn artifact(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Artifact {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Why a bundle is rejected, one variant a check, so that callers and tests
/// can tell *which* check refused it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the bundle is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("not a foldtrain proof bundle (bad magic bytes)")]
    BadMagic,
    #[error("bundle format version {found} is not supported (this build reads {supported})")]
    Version { found: u32, supported: u32 },
    #[error("the bundle is malformed: {0}")]
    Malformed(String),
    /// The file ends before the bundle does. What the decoder said is kept
    /// for `--json` ([`Rejection::detail`]); people read what it means.
    #[error(
        "the file is cut short (it ends before the bundle does), or is not a foldtrain \
         bundle: download it again, or ask its publisher for it"
    )]
    Truncated(String),
    #[error("the bundle has {0} trailing bytes")]
    TrailingBytes(usize),
    /// Weight counts, ranges, initial weights: the statement's own shape.
    #[error("{0}")]
    Shape(String),
    #[error(
        "the statement claims {claimed} steps but its recipe takes {expected} \
         (epochs x batches an epoch / batches a step)"
    )]
    StepCount { claimed: usize, expected: usize },
    #[error("the statement's parameter digest {stated} is not the digest {rebuilt} of its recipe's circuit")]
    ParamsDigest { stated: String, rebuilt: String },
    #[error("the proof does not verify: {0}")]
    Snark(String),
    #[error("the proof is malformed (the verifier failed on it)")]
    SnarkPanicked,
    #[error("the proof's final state is not a canonical encoding of weights and counters")]
    NonCanonicalState,
    #[error("the proof's final state differs from the statement: {}", list(.0))]
    FinalState(Vec<StateField>),
}

/// A field of the training state, as a mismatch names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateField {
    WeightCount {
        got: usize,
        want: usize,
    },
    Weight(usize),
    Bias,
    RowHash,
    Commitment,
    TestCommitment,
    /// The weights commitment `C_W`.
    ModelCommitment,
    /// A model of the other kind (weights where `C_W` was stated, or the
    /// other way round).
    ModelKind,
    Batch,
    Epoch,
    /// The hash of the predictions' inputs and outputs.
    PredictionHash,
    /// An inference proof's step counter.
    Step,
    /// The commitment `C_S` at the end of segment `i` of a segmented proof.
    SegmentEnd(usize),
    /// An evaluation's confusion counts.
    Counts,
    /// The raw training rows' commitment.
    RawCommitment,
    /// The raw test rows' commitment.
    RawTestCommitment,
    /// A preprocessing proof's running sums (not cleared).
    Sums,
    /// The normalizer of predictions on raw values.
    Normalizer,
    /// Feature `j`'s mean in the normalizer.
    NormalizerMean(usize),
    /// Feature `j`'s standard deviation in the normalizer.
    NormalizerStd(usize),
    /// The commitment `C_N` to a normalizer kept private.
    NormalizerCommitment,
    /// The commitment `C_G` to the test rows' groups.
    GroupCommitment,
    /// An evaluation's counts of each group.
    GroupCounts,
}

impl std::fmt::Display for StateField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateField::WeightCount { got, want } => write!(f, "{got} weights, expected {want}"),
            StateField::Weight(i) => write!(f, "weight {i}"),
            StateField::Bias => f.write_str("bias"),
            StateField::RowHash => f.write_str("row hash (not reset: an epoch was not completed)"),
            StateField::Commitment => f.write_str("training commitment"),
            StateField::TestCommitment => f.write_str("test commitment"),
            StateField::ModelCommitment => f.write_str("weights commitment C_W"),
            StateField::ModelKind => f.write_str("kind of model (weights or C_W)"),
            StateField::Batch => f.write_str("batch counter"),
            StateField::Epoch => f.write_str("epoch counter"),
            StateField::PredictionHash => {
                f.write_str("hash of the inputs and outputs (a row, logit or decision differs)")
            }
            StateField::Step => f.write_str("step counter"),
            StateField::Counts => f.write_str("confusion counts"),
            StateField::RawCommitment => f.write_str("raw training commitment"),
            StateField::RawTestCommitment => f.write_str("raw test commitment"),
            StateField::Sums => {
                f.write_str("running sums (not cleared: the training pass did not end)")
            }
            StateField::Normalizer => f.write_str("normalizer the raw inputs were quantized by"),
            StateField::NormalizerMean(j) => {
                write!(
                    f,
                    "normalizer mean {j} (not the one the raw training rows give)"
                )
            }
            StateField::NormalizerStd(j) => write!(
                f,
                "normalizer standard deviation {j} (not the one the raw training rows give)"
            ),
            StateField::NormalizerCommitment => f.write_str(
                "normalizer commitment C_N (not a commitment to what the raw training rows give)",
            ),
            StateField::GroupCommitment => {
                f.write_str("group commitment C_G (not the one the test rows' groups open)")
            }
            StateField::GroupCounts => f.write_str("counts of the groups"),
            StateField::SegmentEnd(i) => write!(
                f,
                "state commitment C_S at the end of segment {i} (not the next segment's start)"
            ),
        }
    }
}

fn list(fields: &[StateField]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// ` (`name`)` after a column number, when the column's name is known.
fn column_name(name: &Option<String>) -> String {
    name.as_ref()
        .map_or_else(String::new, |n| format!(" (`{n}`)"))
}

impl Rejection {
    /// The internal words behind a rejection whose message is written for
    /// people (the decoder's, for a malformed bundle), for `--json`.
    pub fn detail(&self) -> Option<String> {
        match self {
            Rejection::Truncated(why) => Some(why.clone()),
            _ => None,
        }
    }
}
