//! `verify` and `inspect`: what a bundle states, and whether its proof holds.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::infer::{verify_infer, InferSummary, InferVerifyReport};
use super::prep::PrepSummary;
use crate::artifact;
use crate::circuit::ModelCommitment;
use crate::commitment::Commitment;
use crate::error::{Error, Result};
use crate::model::{Model, PublicModel};
use crate::output;
use crate::preprocessing::PrepStatement;
use crate::proof::{KeyOrigin, PublishedModel, Statement, StatementKind, Verified, Verifier};
use crate::recipe::Recipe;
use crate::segment::TrainingBundle;
use crate::statement::{as_input_error, AnyBundle, Bundle, BundleKind, Proven};

/// `verify`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub bundle: PathBuf,
    /// The proof verifies against its statement (and, with `--model`, the
    /// model file is the statement's model).
    pub accepted: bool,
    /// Why the proof (or the model file) was rejected.
    pub reason: Option<String>,
    /// The decoder's own words for a malformed bundle (JSON only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What was verified: present only when the proof verified.
    pub statement: Option<StatementSummary>,
    /// How many segment proofs an accepted run proven in segments holds
    /// (null: one proof of the whole run, or not accepted).
    pub segments: Option<usize>,
    /// The model file checked against the statement, when one was given.
    pub model: Option<PathBuf>,
    /// Where the verifier key came from (present when the proof was
    /// checked).
    pub key_origin: Option<KeyOrigin>,
    /// sha256 of the verifier key's file, when known.
    pub key_sha256: Option<String>,
    /// Seconds to read or derive the verifier key (a phase).
    pub key_s: Option<f64>,
    /// Seconds of the SNARK check alone (a phase).
    pub verify_s: Option<f64>,
    /// Seconds of the whole command, from reading the bundle to the report.
    pub command_s: f64,
    /// Whether the bundle's output folder is a finished run's.
    pub folder: output::Completeness,
}

/// Which verifier keys `verify` and `audit` use.
#[derive(Clone, Debug, Default)]
pub enum KeyChoice<'a> {
    /// The key cache, else a key derived from each bundle's spec.
    #[default]
    Cache,
    /// Only these key files (of any kinds of statement: each bundle is
    /// checked with the one of its spec), each refused unless its sha256
    /// is the pin given with it: a key file is trusted only through a pin
    /// the user holds (SOUNDNESS 20).
    Files(Vec<(&'a Path, &'a str)>),
}

impl<'a> KeyChoice<'a> {
    /// One key file `path`, pinned by `pinned`.
    pub fn file(path: &'a Path, pinned: &'a str) -> Self {
        KeyChoice::Files(vec![(path, pinned)])
    }

    /// The keys the flags choose: key files `vk` with their pins `pins`
    /// (the n-th pin is the n-th file's), or neither. A key file without a
    /// pin is refused: its own label proves nothing, since whoever hands
    /// over a key and a bundle can relabel both. The advice names `bundle`
    /// (the first to verify).
    pub fn from_flags(vk: &'a [PathBuf], pins: &'a [String], bundle: &Path) -> Result<Self> {
        if let Some((i, pin)) =
            (pins.iter().enumerate()).find(|(_, p)| !crate::ivc::keys::is_sha256_hex(p))
        {
            let what = vk
                .get(i)
                .map_or_else(|| "a key file".into(), |p| p.display().to_string());
            return Err(Error::Mismatch(format!(
                "`{pin}` is not a sha256 to pin {what} with: give --vk-sha256 the 64 hex \
                 digits `foldtrain keys` printed"
            )));
        }
        match (vk.len(), pins.len()) {
            (0, 0) => Ok(KeyChoice::Cache),
            (n, m) if n == m => Ok(KeyChoice::Files(
                vk.iter()
                    .map(PathBuf::as_path)
                    .zip(pins.iter().map(String::as_str))
                    .collect(),
            )),
            (n, m) if m < n => {
                let path = &vk[m];
                Err(Error::artifact(
                    path,
                    format!(
                        "a key file is used only with its pin, since its own label proves \
                         nothing: add --vk-sha256 HEX after it, the sha256 of a key you trust \
                         (`foldtrain keys {} --out {}` derives this bundle's key from its \
                         statement and prints the hash and the command to verify with), or \
                         leave out --vk to derive the key from the bundle's statement",
                        bundle.display(),
                        unused_key_path(path).display()
                    ),
                ))
            }
            _ => Err(Error::Mismatch(
                "--vk-sha256 pins the verifier key file given as --vk before it: give --vk too \
                 (one key file from `foldtrain keys` for each pin), or leave out --vk-sha256"
                    .into(),
            )),
        }
    }

    /// The verifier this choice makes (key files are read and their pins
    /// checked here, before any bundle).
    pub fn verifier(&self) -> Result<Verifier> {
        match self {
            KeyChoice::Cache => Ok(Verifier::default()),
            KeyChoice::Files(files) => Verifier::with_key_files(files),
        }
    }
}

/// A file name beside `vk` that does not exist yet, for a key derived
/// afresh (so that the advice that names it runs as printed).
fn unused_key_path(vk: &Path) -> PathBuf {
    let dir = vk.parent().unwrap_or(Path::new(""));
    (1..100)
        .map(|i| match i {
            1 => dir.join("vk-derived.bin"),
            i => dir.join(format!("vk-derived-{i}.bin")),
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join("vk-derived.bin"))
}

/// A statement, as people read it: what an accepted proof establishes.
#[derive(Clone, Debug, Serialize)]
pub struct StatementSummary {
    /// Which statement the bundle carries.
    pub kind: StatementKind,
    pub recipe: Recipe,
    /// Training rows and features (public in the statement).
    pub rows: usize,
    pub features: usize,
    /// The training rows' commitment.
    pub commitment: Commitment,
    /// The test rows' commitment, published with it.
    pub test_commitment: Commitment,
    /// `C_W`, when the weights are committed rather than published.
    pub weights_commitment: Option<ModelCommitment>,
    /// sha256 of the fixed-point weights then bias, i64 little-endian
    /// (public weights only, as are the four fields after it).
    pub weights_sha256: Option<String>,
    pub weights: Option<Vec<f64>>,
    pub bias: Option<f64>,
    pub weights_fixed: Option<Vec<i64>>,
    pub bias_fixed: Option<i64>,
    pub steps: usize,
    pub params_digest: String,
}

impl StatementSummary {
    pub fn of(st: &Statement) -> Self {
        let public = st.final_weights();
        let decimals = public.map(|w| w.to_f64(&st.recipe.format));
        StatementSummary {
            kind: st.kind(),
            recipe: st.recipe.clone(),
            rows: st.recipe.rows,
            features: st.recipe.features,
            commitment: st.commitment,
            test_commitment: st.test_commitment,
            weights_commitment: match &st.model {
                PublishedModel::Committed(c) => Some(*c),
                PublishedModel::Weights(_) => None,
            },
            weights_sha256: public.map(|w| w.sha256_hex()),
            weights: decimals.as_ref().map(|(w, _)| w.clone()),
            bias: decimals.map(|(_, b)| b),
            weights_fixed: public.map(|w| w.w.clone()),
            bias_fixed: public.map(|w| w.b),
            steps: st.steps,
            params_digest: st.params_digest.clone(),
        }
    }
}

/// The ways a model file differs from a statement (empty: it is the
/// statement's model). With public weights the decimals are checked too,
/// since that is what a person reads: they are exactly the fixed-point
/// values over `2^F` in any [`Model`]. With committed weights the model must
/// open `C_W`.
pub fn model_differences(model: &Model, st: &Statement) -> Vec<String> {
    let mut diffs = Vec::new();
    if model.recipe != st.recipe {
        diffs.push("the recipe".to_string());
    }
    let weights = match &st.model {
        PublishedModel::Weights(w) => w,
        PublishedModel::Committed(c) => {
            match model.opened_commitment() {
                None => diffs.push(
                    "the weights commitment C_W (the model has no salt to open it: give the \
                     private model, private/model.json)"
                        .into(),
                ),
                Some(opened) if opened != *c => {
                    diffs.push("the weights (they do not open the statement's C_W)".into())
                }
                Some(_) => {}
            }
            if model.weights_commitment().is_some_and(|m| m != *c) {
                diffs.push("the C_W the model records".into());
            }
            return diffs;
        }
    };
    // The model file's weights are in range and its decimals exact (both
    // checked when it was read): a value comparison is all that is left.
    let own = model.fixed_weights();
    if own.w.len() != weights.w.len() {
        diffs.push(format!(
            "{} weights where the statement has {}",
            own.w.len(),
            weights.w.len()
        ));
        return diffs;
    }
    for (i, (mine, theirs)) in own.w.iter().zip(&weights.w).enumerate() {
        if mine != theirs {
            diffs.push(format!("weight {i}"));
        }
    }
    if own.b != weights.b {
        diffs.push("the bias".into());
    }
    diffs
}

/// A model file given to `verify --model`: a model with its weights
/// (`model.json`, or the private one of committed weights), or the public
/// part of a committed model (`model.public.json`).
pub enum ModelFile {
    Full(Box<Model>),
    Public(Box<PublicModel>),
}

impl ModelFile {
    /// Reads either kind of model file.
    pub fn read(path: &Path) -> Result<Self> {
        let model_err = match artifact::read_json::<Model>(path, Model::KIND) {
            Ok(model) => return Ok(ModelFile::Full(Box::new(model))),
            Err(e) => e,
        };
        match artifact::read_json::<PublicModel>(path, PublicModel::KIND) {
            Ok(public) if public.feature_names.len() == public.recipe.features => {
                Ok(ModelFile::Public(Box::new(public)))
            }
            Ok(_) => Err(Error::artifact(
                path,
                "its feature names disagree with its recipe's feature count",
            )),
            // A public model file that is malformed says so; anything else
            // is reported as not a model.
            Err(e) if model_err.to_string().contains(PublicModel::KIND) => Err(e),
            Err(_) => Err(model_err),
        }
    }

    /// The ways the file differs from the statement (empty: it is the
    /// statement's model).
    pub fn differences(&self, st: &Statement) -> Vec<String> {
        match self {
            ModelFile::Full(m) => model_differences(m, st),
            ModelFile::Public(p) => {
                let mut diffs = Vec::new();
                if p.recipe != st.recipe {
                    diffs.push("the recipe".to_string());
                }
                match &st.model {
                    PublishedModel::Committed(c) if *c == p.weights_commitment => {}
                    PublishedModel::Committed(_) => diffs.push("the weights commitment C_W".into()),
                    PublishedModel::Weights(_) => diffs.push(
                        "the kind of model (the file holds C_W, the statement weights)".into(),
                    ),
                }
                diffs
            }
        }
    }
}

/// Verifies a bundle file with the key `key` names; with `model`, also
/// checks that the model file holds exactly the statement's weights, bias
/// and recipe.
pub fn verify(path: &Path, model: Option<&Path>, key: KeyChoice<'_>) -> Result<VerifyReport> {
    let started = Instant::now();
    // The model file is the user's input: a missing or malformed one is a
    // usage error (exit 2), found before any proof work.
    let model_file = match model {
        Some(m) => Some((ModelFile::read(m)?, m)),
        None => None,
    };
    let mut verifier = key.verifier()?;
    verify_one(&mut verifier, path, model_file, started)
}

/// `verify` of several bundles, of any kinds: one report each, the totals
/// and the verdict of the whole batch.
#[derive(Clone, Debug, Serialize)]
pub struct BatchReport {
    /// One report a bundle that was checked (accepted or rejected), in the
    /// order given (each one's `command_s` is the seconds spent on it).
    pub bundles: Vec<BundleReport>,
    /// Bundles that could not be checked (unreadable, or of a recipe the
    /// given key is not for), each with its error: neither accepted nor
    /// rejected.
    pub errors: Vec<BundleError>,
    /// Every bundle given: `accepted + rejected + not_checked`.
    pub total: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// `errors.len()`.
    pub not_checked: usize,
    /// The worst verdict of the batch: what `verify` exits with.
    pub verdict: Verdict,
    /// Seconds of the whole command.
    pub command_s: f64,
}

/// The report of one bundle of a batch, by kind.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum BundleReport {
    Training(Box<VerifyReport>),
    Inference(Box<InferVerifyReport>),
    Preprocessing(Box<PrepVerifyReport>),
}

impl BundleReport {
    pub fn accepted(&self) -> bool {
        match self {
            BundleReport::Training(r) => r.accepted,
            BundleReport::Inference(r) => r.accepted,
            BundleReport::Preprocessing(r) => r.accepted,
        }
    }

    pub fn bundle(&self) -> &Path {
        match self {
            BundleReport::Training(r) => &r.bundle,
            BundleReport::Inference(r) => &r.bundle,
            BundleReport::Preprocessing(r) => &r.bundle,
        }
    }

    /// Where the key came from and its file's sha256, when the proof was
    /// checked.
    pub fn key(&self) -> (Option<KeyOrigin>, Option<&str>) {
        match self {
            BundleReport::Training(r) => (r.key_origin, r.key_sha256.as_deref()),
            BundleReport::Inference(r) => (r.key_origin, r.key_sha256.as_deref()),
            BundleReport::Preprocessing(r) => (r.key_origin, r.key_sha256.as_deref()),
        }
    }
}

/// `verify` of a bundle of a kind other than training (evaluation,
/// predictions, preprocessing): its summary `S` when accepted.
#[derive(Clone, Debug, Serialize)]
pub struct KindVerifyReport<S> {
    pub bundle: PathBuf,
    pub accepted: bool,
    pub reason: Option<String>,
    /// The decoder's own words for a malformed bundle (JSON only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What was verified: present only when the proof verified.
    pub statement: Option<S>,
    /// Where the verifier key came from (present when the proof was
    /// checked), as for a training bundle.
    pub key_origin: Option<KeyOrigin>,
    /// sha256 of the verifier key's file, when known.
    pub key_sha256: Option<String>,
    /// Seconds to read or derive the verifier key (phase).
    pub key_s: Option<f64>,
    /// Seconds of the SNARK check alone (phase).
    pub verify_s: Option<f64>,
    /// Seconds of the whole command.
    pub command_s: f64,
}

/// `verify` of a preprocessing bundle.
pub type PrepVerifyReport = KindVerifyReport<PrepSummary>;

/// Verifies a bundle file of kind `P` with `verifier` (shared with the
/// other bundles of a batch): a rejection is a report, an unreadable file
/// an error.
pub fn verify_kind<P: Proven, S>(
    verifier: &mut Verifier,
    path: &Path,
    summary: impl Fn(&P) -> S,
) -> Result<KindVerifyReport<S>> {
    let started = Instant::now();
    let reject = |r: crate::Rejection| KindVerifyReport {
        bundle: path.into(),
        accepted: false,
        reason: Some(r.to_string()),
        detail: r.detail(),
        statement: None,
        key_origin: None,
        key_sha256: None,
        key_s: None,
        verify_s: None,
        command_s: started.elapsed().as_secs_f64(),
    };
    let bundle = match Bundle::<P>::read(path) {
        Ok(b) => b,
        Err(Error::Rejected(r)) => return Ok(reject(r)),
        Err(e) => return Err(e),
    };
    match verifier.verify(&bundle) {
        Ok(v) => Ok(KindVerifyReport {
            bundle: path.into(),
            accepted: true,
            reason: None,
            detail: None,
            statement: Some(summary(&bundle.statement)),
            key_origin: Some(v.key_origin),
            key_sha256: v.key_sha256,
            key_s: Some(v.key_s),
            verify_s: Some(v.verify_s),
            command_s: started.elapsed().as_secs_f64(),
        }),
        Err(Error::Rejected(r)) => Ok(reject(r)),
        Err(e) => Err(e),
    }
}

impl<S: fmt::Display> fmt::Display for KindVerifyReport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.statement, &self.reason) {
            (Some(st), _) => {
                writeln!(f, "accepted: the proof verifies against this statement")?;
                write!(f, "{st}")?;
                write!(
                    f,
                    "{}",
                    key_and_time_lines(
                        self.key_origin,
                        self.key_s,
                        self.key_sha256.as_deref(),
                        self.verify_s,
                        self.command_s
                    )
                )
            }
            (None, reason) => write!(f, "rejected: {}", reason.as_deref().unwrap_or("unknown")),
        }
    }
}

/// The verdict over several bundles: the worst of theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every bundle was accepted (exit 0).
    Accepted,
    /// Every bundle was checked, and at least one was rejected (exit 1).
    Rejected,
    /// At least one bundle could not be checked (exit 2).
    NotChecked,
}

impl Verdict {
    /// The exit status of this verdict: 0, 1 or 2.
    pub fn exit_status(self) -> u8 {
        match self {
            Verdict::Accepted => 0,
            Verdict::Rejected => 1,
            Verdict::NotChecked => 2,
        }
    }
}

/// `verify`'s outcome: one bundle's report, or a batch's.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Verification {
    One(BundleReport),
    Batch(BatchReport),
}

impl Verification {
    /// Accepted, rejected, or (in a batch) not all checked.
    pub fn verdict(&self) -> Verdict {
        match self {
            Verification::One(r) if r.accepted() => Verdict::Accepted,
            Verification::One(_) => Verdict::Rejected,
            Verification::Batch(b) => b.verdict,
        }
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::One(r) => write!(f, "{r}"),
            Verification::Batch(b) => write!(f, "{b}"),
        }
    }
}

/// `verify`'s settings, as the command takes them.
#[derive(Clone, Debug, Default)]
pub struct VerifyArgs {
    pub bundles: Vec<PathBuf>,
    /// With one training bundle: the model file it must be the statement of.
    pub model: Option<PathBuf>,
    /// Pinned verifier key files (any kinds) and their sha256, in order;
    /// empty: the key cache, else keys derived from each statement.
    pub vk: Vec<PathBuf>,
    pub vk_sha256: Vec<String>,
}

/// `verify` as the command takes it: [`verify_bundles`] with the keys the
/// flags choose (a refusal's advice names the first bundle).
pub fn verify_command(args: &VerifyArgs) -> Result<Verification> {
    let first = args.bundles.first().map_or(Path::new(""), PathBuf::as_path);
    let key = KeyChoice::from_flags(&args.vk, &args.vk_sha256, first)?;
    verify_bundles(&args.bundles, args.model.as_deref(), key)
}

/// `verify` as the command and the Python package take it: one bundle of
/// any kind (with `model`, a training bundle and its model file), or a
/// batch of any kinds, with the keys `key` chooses. An unreadable single
/// bundle, a bad model file or keys that cannot be used are errors.
pub fn verify_bundles(
    bundles: &[PathBuf],
    model: Option<&Path>,
    key: KeyChoice<'_>,
) -> Result<Verification> {
    match (bundles, model) {
        ([], _) => Err(Error::Mismatch("give at least one bundle to verify".into())),
        ([bundle], Some(model)) => {
            if BundleKind::of(bundle) != BundleKind::Training {
                return Err(Error::artifact(
                    bundle,
                    "is an evaluation, predictions or preprocessing bundle; --model checks a training bundle \
                     against its model: verify this one without --model (the chain audit, \
                     audit --train ... --eval ... --model ..., links it to the model)",
                ));
            }
            let r = verify(bundle, Some(model), key)?;
            Ok(Verification::One(BundleReport::Training(Box::new(r))))
        }
        ([bundle], None) => Ok(Verification::One(verify_any(&mut key.verifier()?, bundle)?)),
        (_, Some(_)) => Err(Error::Mismatch(
            "--model checks one bundle against its model; verify the bundles one at a time \
             to check each one's model"
                .into(),
        )),
        (bundles, None) => Ok(Verification::Batch(verify_all(bundles, key)?)),
    }
}

/// A bundle of a batch that could not be checked.
#[derive(Clone, Debug, Serialize)]
pub struct BundleError {
    pub bundle: PathBuf,
    pub error: String,
}

/// Verifies several bundles of any kinds (training, evaluation,
/// predictions) in one process. Training bundles share one verifier, so
/// that the key of a recipe is read or derived once for all its bundles
/// (an auditor's batch: the key costs seconds to read, each check about
/// one); each is re-checked against the held key's recipe and digest. A
/// bundle that cannot be checked does not stop the others; the verdict is
/// the worst of all.
pub fn verify_all(paths: &[PathBuf], key: KeyChoice<'_>) -> Result<BatchReport> {
    let started = Instant::now();
    let mut verifier = key.verifier()?;
    let mut bundles = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match verify_any(&mut verifier, path) {
            Ok(report) => bundles.push(report),
            Err(e) => errors.push(BundleError {
                bundle: path.clone(),
                error: e.to_string(),
            }),
        }
    }
    let accepted = bundles.iter().filter(|r| r.accepted()).count();
    let rejected = bundles.len() - accepted;
    let verdict = if !errors.is_empty() {
        Verdict::NotChecked
    } else if rejected > 0 {
        Verdict::Rejected
    } else {
        Verdict::Accepted
    };
    Ok(BatchReport {
        total: paths.len(),
        not_checked: errors.len(),
        rejected,
        accepted,
        verdict,
        bundles,
        errors,
        command_s: started.elapsed().as_secs_f64(),
    })
}

/// Verifies a bundle of any kind with `verifier`: a rejection is a
/// report, an unreadable file (or keys given none of which is its) an
/// error.
pub fn verify_any(verifier: &mut Verifier, path: &Path) -> Result<BundleReport> {
    match BundleKind::of(path) {
        BundleKind::Inference => {
            verify_infer(verifier, path).map(|r| BundleReport::Inference(Box::new(r)))
        }
        BundleKind::Preprocessing => {
            verify_kind::<PrepStatement, _>(verifier, path, PrepSummary::of)
                .map(|r| BundleReport::Preprocessing(Box::new(r)))
        }
        BundleKind::Training => verify_one(verifier, path, None, Instant::now())
            .map(|r| BundleReport::Training(Box::new(r))),
    }
}

/// Verifies the bundle at `path` with `verifier`, and with a model file,
/// checks it is the statement's model; `started` is when its work began.
fn verify_one(
    verifier: &mut Verifier,
    path: &Path,
    model_file: Option<(ModelFile, &Path)>,
    started: Instant,
) -> Result<VerifyReport> {
    let model = model_file.as_ref().map(|(_, p)| *p);
    let rejected = |reason: String, verified: Option<&Verified>| VerifyReport {
        bundle: path.into(),
        accepted: false,
        reason: Some(reason),
        detail: None,
        statement: None,
        segments: None,
        model: model.map(Into::into),
        key_origin: verified.map(|v| v.key_origin),
        key_sha256: verified.and_then(|v| v.key_sha256.clone()),
        key_s: verified.map(|v| v.key_s),
        verify_s: verified.map(|v| v.verify_s),
        command_s: started.elapsed().as_secs_f64(),
        folder: output::completeness_of(path),
    };
    let bundle = match TrainingBundle::read(path) {
        Ok(b) => b,
        Err(Error::Rejected(r)) => {
            return Ok(VerifyReport {
                detail: r.detail(),
                ..rejected(r.to_string(), None)
            })
        }
        Err(e) => return Err(e),
    };
    // Only a rejection is "not accepted" (exit 1); any other failure while
    // verifying is an error (exit 2).
    let verified = match bundle.verify_with(verifier) {
        Ok(v) => v,
        Err(Error::Rejected(r)) => {
            return Ok(VerifyReport {
                detail: r.detail(),
                ..rejected(r.to_string(), None)
            })
        }
        Err(e) => return Err(e),
    };
    if let Some((m, file)) = &model_file {
        let diffs = m.differences(&bundle.statement());
        if !diffs.is_empty() {
            let reason = format!(
                "the proof verifies, but {} is not its model: {} differ{}",
                file.display(),
                diffs.join(", "),
                if diffs.len() == 1 { "s" } else { "" }
            );
            return Ok(rejected(reason, Some(&verified)));
        }
    }
    Ok(VerifyReport {
        bundle: path.into(),
        accepted: true,
        reason: None,
        detail: None,
        statement: Some(StatementSummary::of(&bundle.statement())),
        segments: bundle.segments(),
        model: model.map(Into::into),
        key_origin: Some(verified.key_origin),
        key_sha256: verified.key_sha256.clone(),
        key_s: Some(verified.key_s),
        verify_s: Some(verified.verify_s),
        command_s: started.elapsed().as_secs_f64(),
        folder: output::completeness_of(path),
    })
}

/// `inspect`'s report of a training bundle: the statement, for people and
/// scripts.
#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    pub bundle: PathBuf,
    /// Always false: `inspect` reads what a bundle claims and checks no
    /// proof, so that scripts cannot take its figures for proven ones.
    pub verified: bool,
    /// What the bundle claims (not verified).
    #[serde(flatten)]
    pub statement: StatementSummary,
    /// Bytes of the proof (of the segments' proofs, in all).
    pub proof_bytes: usize,
    /// How many segment proofs a run proven in segments holds (null: one
    /// proof of the whole run).
    pub segments: Option<usize>,
    /// sha256 of the recipe's verifier key file, when this user's key cache
    /// holds it (null: unknown here; `foldtrain keys BUNDLE` derives it).
    pub verifier_key_sha256: Option<String>,
}

/// Reads a bundle to report on it: a bundle that cannot be read is the
/// user's input error here (exit 2), not a verdict.
pub(super) fn read_statement_bundle(path: &Path) -> Result<TrainingBundle> {
    TrainingBundle::read(path).map_err(|e| as_input_error(path, e))
}

/// Reads a training bundle's statement (without verifying it).
pub fn inspect(path: &Path) -> Result<InspectReport> {
    Ok(inspect_read(path, &read_statement_bundle(path)?))
}

fn inspect_read(path: &Path, bundle: &TrainingBundle) -> InspectReport {
    let statement = bundle.statement();
    InspectReport {
        bundle: path.into(),
        verified: false,
        statement: StatementSummary::of(&statement),
        proof_bytes: bundle.proof_bytes(),
        segments: bundle.segments(),
        verifier_key_sha256: match bundle {
            TrainingBundle::Whole(_) => cached_key_sha256(&statement.recipe),
            TrainingBundle::Segmented(b) => cached_key_sha256(&b.statement.spec()),
        },
    }
}

/// `inspect`'s report of an evaluation or predictions bundle.
pub type InferInspectReport = KindInspectReport<InferSummary>;

/// `inspect`'s report of a bundle of a kind other than training, whose
/// statement reads as `S`.
#[derive(Clone, Debug, Serialize)]
pub struct KindInspectReport<S> {
    pub bundle: PathBuf,
    /// Always false, as for [`InspectReport::verified`]: the counts,
    /// accuracy, predictions or normalizer are what the bundle claims.
    pub verified: bool,
    /// What the bundle claims (not verified).
    #[serde(flatten)]
    pub statement: S,
    pub proof_bytes: usize,
    /// sha256 of the spec's verifier key file, when this user's key cache
    /// holds it (null: unknown here; `foldtrain keys BUNDLE` derives it).
    pub verifier_key_sha256: Option<String>,
}

/// `inspect`'s report of a bundle of any kind.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Inspected {
    Training(Box<InspectReport>),
    Inference(Box<InferInspectReport>),
    Preprocessing(Box<KindInspectReport<PrepSummary>>),
}

/// Reads any bundle's statement, without verifying it (the kind is told by
/// the bundle's first bytes); every figure is reported as not verified.
pub fn inspect_bundle(path: &Path) -> Result<Inspected> {
    Ok(match AnyBundle::read_as_input(path)? {
        AnyBundle::Inference(bundle) => Inspected::Inference(Box::new(InferInspectReport {
            bundle: path.into(),
            verified: false,
            statement: InferSummary::of(&bundle.statement),
            proof_bytes: bundle.proof_bytes(),
            verifier_key_sha256: cached_key_sha256(&bundle.statement.spec),
        })),
        AnyBundle::Preprocessing(bundle) => Inspected::Preprocessing(Box::new(KindInspectReport {
            bundle: path.into(),
            verified: false,
            statement: PrepSummary::of(&bundle.statement),
            proof_bytes: bundle.proof_bytes(),
            verifier_key_sha256: cached_key_sha256(&bundle.statement.spec),
        })),
        AnyBundle::Training(bundle) => Inspected::Training(Box::new(inspect_read(path, &bundle))),
    })
}

/// The sha256 of `spec`'s key file, when this user's key cache holds it.
fn cached_key_sha256<S: crate::ivc::Spec>(spec: &S) -> Option<String> {
    crate::ivc::params::Cache::from_env().and_then(|cache| cache.key_sha256(spec))
}

/// The first line of every `inspect` in text.
fn not_verified_line(bundle: &Path) -> String {
    format!(
        "{}: the statement as the bundle claims it, NOT verified (`foldtrain verify` checks it)",
        bundle.display()
    )
}

/// How many weights are printed in full before the rest is summarized.
const WEIGHTS_SHOWN: usize = 8;

impl fmt::Display for StatementSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "statement    {}", self.kind)?;
        writeln!(f, "recipe       {}", self.recipe.summary())?;
        writeln!(
            f,
            "commitment   {} (to the {} training rows)",
            self.commitment, self.rows
        )?;
        writeln!(
            f,
            "test rows    {} (their commitment, published with it)",
            self.test_commitment
        )?;
        if let Some(c) = &self.weights_commitment {
            writeln!(
                f,
                "weights      committed: C_W {c} ({} weights and the bias, hidden)",
                self.features
            )?;
        }
        if let (Some(sha), Some(weights), Some(bias)) =
            (&self.weights_sha256, &self.weights, self.bias)
        {
            writeln!(f, "weights      {} values, sha256 {sha}", self.features)?;
            let shown: Vec<String> = weights
                .iter()
                .take(WEIGHTS_SHOWN)
                .map(|w| format!("{w:.6}"))
                .collect();
            let more = match self.features.saturating_sub(WEIGHTS_SHOWN) {
                0 => String::new(),
                n => format!(", ... {n} more (--json shows all)"),
            };
            writeln!(f, "             [{}{more}]", shown.join(", "))?;
            writeln!(f, "bias         {bias:.6}")?;
        }
        writeln!(f, "steps        {}", self.steps)?;
        write!(f, "parameters   {}", self.params_digest)
    }
}

/// One line on a bundle's output folder (empty when it is not in one).
pub(super) fn folder_line(folder: &output::Completeness) -> String {
    match folder {
        output::Completeness::Complete => {
            "\nfolder       complete (its manifest.json lists this bundle)".into()
        }
        output::Completeness::Incomplete(why) => format!("\nfolder       INCOMPLETE: {why}"),
        output::Completeness::Standalone => String::new(),
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.statement, &self.reason) {
            (Some(st), None) if self.accepted => {
                writeln!(f, "accepted: the proof verifies against this statement")?;
                write!(f, "{st}")?;
                if let Some(k) = self.segments {
                    write!(f, "\nproof        {k} segment proofs, checked with one key")?;
                }
                if let Some(m) = &self.model {
                    write!(
                        f,
                        "\nmodel        {} holds exactly this statement's weights, bias and recipe",
                        m.display()
                    )?;
                }
                write!(
                    f,
                    "{}",
                    key_and_time_lines(
                        self.key_origin,
                        self.key_s,
                        self.key_sha256.as_deref(),
                        self.verify_s,
                        self.command_s
                    )
                )?;
            }
            (_, reason) => write!(f, "rejected: {}", reason.as_deref().unwrap_or("unknown"))?,
        }
        write!(f, "{}", folder_line(&self.folder))
    }
}

/// The lines on the key and the time of an accepted bundle, any kind.
pub(super) fn key_and_time_lines(
    origin: Option<KeyOrigin>,
    key_s: Option<f64>,
    sha: Option<&str>,
    verify_s: Option<f64>,
    command_s: f64,
) -> String {
    let mut out = String::new();
    if let (Some(origin), Some(key_s)) = (origin, key_s) {
        let how = match origin {
            KeyOrigin::Given => "read from the file given",
            KeyOrigin::Cached => "read from the key cache",
            KeyOrigin::Derived => "derived from the statement's spec (now cached)",
            KeyOrigin::Held => "held",
        };
        out.push_str(&format!("\nkey          {how} in {key_s:.2} s"));
        if let Some(sha) = sha {
            out.push_str(&format!(", sha256 {sha}"));
        }
    }
    if let Some(t) = verify_s {
        out.push_str(&format!(
            "\ntime         {command_s:.2} s in all, {t:.2} s of it the SNARK check"
        ));
    }
    out
}

impl fmt::Display for BundleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleReport::Training(r) => write!(f, "{r}"),
            BundleReport::Inference(r) => write!(f, "{r}"),
            BundleReport::Preprocessing(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for BatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for report in &self.bundles {
            writeln!(f, "{}:", report.bundle().display())?;
            writeln!(f, "{report}")?;
            writeln!(f)?;
        }
        for e in &self.errors {
            writeln!(f, "{}: not checked: {}", e.bundle.display(), e.error)?;
            writeln!(f)?;
        }
        write!(
            f,
            "{} of {} bundles accepted, {} rejected, {} not checked, in {:.2} s: {}",
            self.accepted,
            self.total,
            self.rejected,
            self.not_checked,
            self.command_s,
            match self.verdict {
                Verdict::Accepted => "ACCEPTED",
                Verdict::Rejected => "REJECTED (exit 1)",
                Verdict::NotChecked => "NOT ALL CHECKED (exit 2)",
            }
        )
    }
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.verifier_key_sha256.as_deref();
        inspect_text(f, &self.bundle, &self.statement, self.proof_bytes, key)?;
        if let Some(k) = self.segments {
            write!(f, "\nsegments     {k} proofs, one a segment of the run")?;
        }
        Ok(())
    }
}

impl<S: fmt::Display> fmt::Display for KindInspectReport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.verifier_key_sha256.as_deref();
        inspect_text(f, &self.bundle, &self.statement, self.proof_bytes, key)
    }
}

/// `inspect` in text, for every kind of bundle: not verified, the claimed
/// statement, the proof's size and the key's hash.
fn inspect_text(
    f: &mut fmt::Formatter<'_>,
    bundle: &Path,
    statement: &dyn fmt::Display,
    proof_bytes: usize,
    key_sha256: Option<&str>,
) -> fmt::Result {
    writeln!(f, "{}", not_verified_line(bundle))?;
    writeln!(f, "{statement}")?;
    writeln!(f, "proof        {proof_bytes} bytes")?;
    match key_sha256 {
        Some(sha) => write!(
            f,
            "verifier key sha256 {sha} (this statement's key, cached here)"
        ),
        None => write!(
            f,
            "verifier key not cached here (`foldtrain keys {}` derives it)",
            bundle.display()
        ),
    }
}

impl fmt::Display for Inspected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inspected::Training(r) => write!(f, "{r}"),
            Inspected::Inference(r) => write!(f, "{r}"),
            Inspected::Preprocessing(r) => write!(f, "{r}"),
        }
    }
}
