//! `prove-preprocessing`: the proof that a commitment's normalizer and
//! quantized rows are what its raw rows give, written beside the
//! commitment as `preprocessing.bundle`; its summary for `verify` and
//! `inspect`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::prove::{commitment_folder, open_commitment};
use super::{CommitmentFile, DataArgs};
use crate::artifact::{self, Visibility};
use crate::circuit::prep::{NormalizerClaim, PrepCommitments, PrepSpec};
use crate::commitment::NormalizerCommitment;
use crate::error::{Error, Result};
use crate::inference::InferTimings;
use crate::ivc::params::Cache;
use crate::ivc::prover::Observer;
use crate::preprocessing::{PrepBundle, PrepJob, PrepStatement};
use crate::recipe::Hyper;

/// The bundle's file name, beside `commitment.json`.
pub const PREP_BUNDLE_FILE: &str = "preprocessing.bundle";

/// `prove-preprocessing`'s settings: its flags, as the binary parses them.
#[derive(Clone, Debug, clap::Args)]
pub struct PrepArgs {
    /// The folder commit wrote commitment.json and private/opening.json
    /// into (or the commitment.json); the bundle is written there.
    #[arg(long, value_name = "DIR")]
    pub commitment: PathBuf,
    /// The CSV that was committed.
    #[arg(long)]
    pub data: PathBuf,
    /// Rows a folded step reads (a multiple of 8; default: by a
    /// constraint budget).
    #[arg(long, value_name = "R")]
    pub rows_per_step: Option<usize>,
    /// Keep the normalizer private: the statement lists its commitment
    /// C_N (the one `prove --private-normalizer` on this commitment puts
    /// in model.public.json) instead of its values.
    #[arg(long)]
    pub private_normalizer: bool,
    /// Replace an existing preprocessing.bundle.
    #[arg(long)]
    pub force: bool,
}

/// What a preprocessing statement says, for people and `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct PrepSummary {
    pub spec: PrepSpec,
    pub commitments: PrepCommitments,
    /// Each feature's training mean and standard deviation (decimals,
    /// exact: the integers over `2^16`); `None` when kept private.
    pub means: Option<Vec<f64>>,
    pub stds: Option<Vec<f64>>,
    /// `C_N`, when the normalizer is kept private.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalizer_commitment: Option<NormalizerCommitment>,
    pub steps: usize,
    pub params_digest: String,
}

impl PrepSummary {
    pub fn of(st: &PrepStatement) -> Self {
        let (means, stds) = match &st.normalizer {
            NormalizerClaim::Public(n) => (Some(n.means_f64()), Some(n.stds_f64())),
            NormalizerClaim::Committed(_) => (None, None),
        };
        PrepSummary {
            spec: st.spec.clone(),
            commitments: st.commitments,
            means,
            stds,
            normalizer_commitment: st.normalizer_commitment(),
            steps: st.steps,
            params_digest: st.params_digest.clone(),
        }
    }
}

impl fmt::Display for PrepSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.commitments;
        writeln!(f, "statement    {}", self.spec.summary())?;
        writeln!(
            f,
            "raw rows     training {}, test {}",
            c.raw_train, c.raw_test
        )?;
        writeln!(f, "quantized    training {}, test {}", c.train, c.test)?;
        let (means, stds) = (
            self.means.as_deref().unwrap_or_default(),
            self.stds.as_deref().unwrap_or_default(),
        );
        let shown: Vec<String> = (means.iter().zip(stds))
            .take(4)
            .map(|(m, s)| format!("{m:.4} ± {s:.4}"))
            .collect();
        let more = if means.len() > 4 { ", ..." } else { "" };
        match &self.normalizer_commitment {
            Some(c) => writeln!(f, "normalizer   private, committed: C_N {c}")?,
            None => writeln!(
                f,
                "normalizer   [{}{more}] (mean ± sd of each feature)",
                shown.join(", ")
            )?,
        }
        write!(
            f,
            "steps        {}\nparams       {}",
            self.steps, self.params_digest
        )
    }
}

/// `prove-preprocessing`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct PrepReport {
    pub bundle: PathBuf,
    pub statement: PrepSummary,
    pub proof_bytes: usize,
    pub bundle_bytes: usize,
    pub timings: InferTimings,
    /// Seconds of the whole command.
    pub command_s: f64,
}

impl fmt::Display for PrepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "proved the preprocessing: the normalizer is the raw training rows', and the \
             quantized commitments hold the raw rows quantized with it"
        )?;
        writeln!(f, "{}", self.statement)?;
        let t = &self.timings;
        write!(
            f,
            "wrote {} ({} bytes, proof {} bytes); {} steps ({} constraints a step); {:.1} s in \
             all (setup {:.1}, folding {:.1}, compression {:.1}, check {:.1})",
            self.bundle.display(),
            self.bundle_bytes,
            self.proof_bytes,
            self.statement.steps,
            t.constraints_per_step,
            self.command_s,
            t.setup_s,
            t.fold_s,
            t.compress_s,
            t.check_s
        )
    }
}

/// Proves the preprocessing of the commitment in `args.commitment` from the
/// committed CSV, and writes `preprocessing.bundle` beside it.
pub fn prove_preprocessing(args: &PrepArgs, observer: &dyn Observer) -> Result<PrepReport> {
    let started = Instant::now();
    let dir = commitment_folder(&args.commitment);
    let bundle_path = dir.join(PREP_BUNDLE_FILE);
    if bundle_path.exists() && !args.force {
        return Err(Error::artifact(
            &bundle_path,
            "exists; pass --force to replace it",
        ));
    }
    // The commitment's format decides the quantization: read it first.
    let public = CommitmentFile::read(&dir)?;
    let data = DataArgs {
        data: args.data.clone(),
        train_fraction: public.train_fraction,
        hyper: Hyper {
            format: public.format,
            ..Hyper::default()
        },
        group: None,
    };
    let (_, loaded, opening) = open_commitment(&dir, &data)?;
    let prepared = &loaded.prepared;
    let spec = PrepJob::spec_of(
        prepared,
        &opening,
        args.rows_per_step,
        args.private_normalizer,
    )?;
    let job = PrepJob {
        spec: Arc::new(spec.clone()),
        prepared,
        opening: &opening,
    };
    observer.begun(&format!(
        "proving the preprocessing of {} training and {} test rows x {} features, {} steps \
         (this takes minutes)",
        spec.train_rows,
        spec.test_rows,
        spec.features,
        spec.steps()
    ));
    let cache = Cache::from_env();
    let (bundle, timings) = job.prove(cache.as_ref(), observer)?;
    let bytes = bundle.to_bytes()?;
    artifact::write_atomic(&bundle_path, &bytes, Visibility::Public)?;
    Ok(PrepReport {
        bundle: bundle_path,
        statement: PrepSummary::of(&bundle.statement),
        proof_bytes: bundle.proof_bytes(),
        bundle_bytes: bytes.len(),
        timings,
        command_s: started.elapsed().as_secs_f64(),
    })
}

/// `inspect` of a preprocessing bundle (not verified).
pub fn inspect_prep(path: &Path) -> Result<PrepSummary> {
    let bundle = PrepBundle::read(path).map_err(|e| crate::statement::as_input_error(path, e))?;
    Ok(PrepSummary::of(&bundle.statement))
}
