//! `audit`: verification, then provenance: the opening against the data,
//! and native training replayed against the proven weights.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::verify::{folder_line, read_statement_bundle, StatementSummary};
use super::DataArgs;
use crate::artifact;
use crate::commitment::Opening;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::output;
use crate::proof::Statement;
use crate::recipe::Hyper;
use crate::train::{self, Weights};

/// `audit`'s report: verification plus provenance.
#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    pub bundle: PathBuf,
    /// The proof verifies against its statement.
    pub verified: bool,
    /// Why verification failed.
    pub reason: Option<String>,
    /// The opening and data reproduce both commitments, training and test
    /// (null: not checked).
    pub commitment_opened: Option<bool>,
    /// With committed weights: the private model given with --model opens
    /// the statement's `C_W` (null: not checked).
    pub weights_opened: Option<bool>,
    /// Native training on the data reproduces the weights bit for bit
    /// (null: not checked).
    pub weights_reproduced: Option<bool>,
    /// What failed in the optional checks.
    pub problems: Vec<String>,
    /// What the bundle states (verified only when `verified`).
    #[serde(flatten)]
    pub statement: StatementSummary,
    /// Seconds of the SNARK check alone (not the whole command).
    pub verify_s: Option<f64>,
    /// sha256 of the CSV given with --data (compare with the opening's).
    pub data_sha256: Option<String>,
    /// Whether the bundle's output folder is a finished run's (an
    /// incomplete one fails the audit).
    pub folder: output::Completeness,
}

impl AuditReport {
    /// True when everything that was checked holds.
    pub fn passed(&self) -> bool {
        self.verified
            && self.commitment_opened != Some(false)
            && self.weights_opened != Some(false)
            && self.weights_reproduced != Some(false)
            && !matches!(self.folder, output::Completeness::Incomplete(_))
    }
}

/// Verifies a bundle and reports its provenance; given the data and the
/// opening, also opens both commitments and replays training natively; given
/// the private model of a committed-weights bundle, opens `C_W` with it (and
/// the replay must give its weights).
pub fn audit(
    bundle_path: &Path,
    data: Option<&Path>,
    opening: Option<&Path>,
    model: Option<&Path>,
) -> Result<AuditReport> {
    let openable = match (data, opening) {
        (None, None) => None,
        (Some(d), Some(o)) => Some((d, o)),
        _ => {
            return Err(Error::InvalidRecipe(
                "give both --data and --opening to open the commitment, or neither".into(),
            ))
        }
    };
    let private_model = match model {
        None => None,
        Some(path) => {
            let m: Model = artifact::read_json(path, Model::KIND)?;
            m.validate()
                .map_err(|e| Error::artifact(path, e.to_string()))?;
            Some((m, path))
        }
    };
    let bundle = read_statement_bundle(bundle_path)?;
    let st = &bundle.statement;
    // A rejection is a finding of the audit; any other failure is an error.
    let (verified, reason, verify_s) = match crate::proof::verify(&bundle) {
        Ok(v) => (true, None, Some(v.verify_s)),
        Err(Error::Rejected(r)) => (false, Some(r.to_string()), None),
        Err(e) => return Err(e),
    };
    let folder = output::completeness_of(bundle_path);
    let mut report = AuditReport {
        bundle: bundle_path.into(),
        verified,
        reason,
        commitment_opened: None,
        weights_opened: None,
        weights_reproduced: None,
        problems: Vec::new(),
        statement: StatementSummary::of(st),
        verify_s,
        data_sha256: None,
        folder,
    };
    if let output::Completeness::Incomplete(why) = &report.folder {
        let problem = format!("the bundle's output folder is incomplete: {why}");
        report.problems.push(problem);
    }
    // The weights the replay must give: the statement's, or with committed
    // weights those of the private model, once it opens C_W.
    let mut target = st.final_weights().cloned();
    if let Some((m, path)) = &private_model {
        let diffs = super::verify::model_differences(m, st);
        report.weights_opened = Some(diffs.is_empty());
        if diffs.is_empty() {
            target = Some(m.fixed_weights());
        } else {
            report.problems.push(format!(
                "{} is not the statement's model: {}",
                path.display(),
                diffs.join(", ")
            ));
        }
    }
    if let Some((data, opening_path)) = openable {
        provenance(&mut report, st, target.as_ref(), data, opening_path)?;
    }
    Ok(report)
}

/// Opens the commitment with the opening and data, and replays training.
fn provenance(
    report: &mut AuditReport,
    st: &Statement,
    target: Option<&Weights>,
    data: &Path,
    opening_path: &Path,
) -> Result<()> {
    let opening: Opening = artifact::read_json(opening_path, Opening::KIND)?;
    opening
        .check_version()
        .map_err(|e| Error::artifact(opening_path, e.to_string()))?;
    let args = DataArgs {
        data: data.into(),
        train_fraction: opening.train_fraction,
        hyper: Hyper::of(&st.recipe),
    };
    let loaded = args.load()?;
    report.data_sha256 = Some(loaded.source_sha256.clone());
    let fixed = &loaded.prepared.train_fixed;
    let opened = if opening.commitment() != st.commitment {
        Err("the opening is for another training commitment than the bundle's".to_string())
    } else if opening.test.commitment != st.test_commitment {
        Err("the opening is for another test commitment than the bundle's".to_string())
    } else {
        opening
            .check(fixed, &loaded.test_fixed)
            .map_err(|e| e.to_string())
    };
    let reproduced = if loaded.recipe != st.recipe {
        Err(format!(
            "the data gives {} rows x {} features, the statement's recipe {} x {}",
            loaded.recipe.rows, loaded.recipe.features, st.recipe.rows, st.recipe.features
        ))
    } else {
        match (train::train_fixed(&st.recipe, fixed), target) {
            (Ok(w), Some(t)) if w == *t => Ok(()),
            (Ok(_), Some(_)) => Err("native training on the data gives other weights".to_string()),
            (Ok(_), None) => Err(
                "the weights are committed: give the private model (--model \
                 private/model.json) to compare the replay with them"
                    .to_string(),
            ),
            (Err(e), _) => Err(format!("native training failed: {e}")),
        }
    };
    report.commitment_opened = Some(opened.is_ok());
    // Committed weights and no private model: nothing to compare the replay
    // with, so not checked (rather than failed).
    let checkable = target.is_some() || report.weights_opened.is_some();
    report.weights_reproduced = checkable.then_some(reproduced.is_ok());
    let reproduced = if checkable { reproduced.err() } else { None };
    report
        .problems
        .extend([opened.err(), reproduced].into_iter().flatten());
    Ok(())
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yes_no = |v: Option<bool>| match v {
            Some(true) => "yes",
            Some(false) => "NO",
            None if self.statement.weights_commitment.is_some() => {
                "not checked (give --data, --opening and --model)"
            }
            None => "not checked (give --data and --opening)",
        };
        let st = &self.statement;
        writeln!(f, "bundle              {}", self.bundle.display())?;
        writeln!(f, "proof verifies      {}", yes_no(Some(self.verified)))?;
        if let Some(reason) = &self.reason {
            writeln!(f, "                    {reason}")?;
        }
        writeln!(f, "commitment opened   {}", yes_no(self.commitment_opened))?;
        if st.weights_commitment.is_some() {
            let opened = match self.weights_opened {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "not checked (give --model private/model.json)",
            };
            writeln!(f, "C_W opened          {opened}")?;
        }
        writeln!(f, "weights reproduced  {}", yes_no(self.weights_reproduced))?;
        for p in &self.problems {
            writeln!(f, "problem             {p}")?;
        }
        writeln!(f, "recipe              {}", st.recipe.summary())?;
        writeln!(f, "statement           {}", st.kind)?;
        writeln!(f, "commitment          {}", st.commitment)?;
        writeln!(f, "test commitment     {}", st.test_commitment)?;
        writeln!(f, "steps               {}", st.steps)?;
        writeln!(f, "parameters digest   {}", st.params_digest)?;
        match (&st.weights_sha256, &st.weights_commitment) {
            (Some(sha), _) => writeln!(f, "weights sha256      {sha}")?,
            (None, Some(c)) => writeln!(f, "weights commitment  {c}")?,
            (None, None) => {}
        }
        if let Some(t) = self.verify_s {
            writeln!(
                f,
                "SNARK check         {t:.2} s (the whole command took longer)"
            )?;
        }
        write!(f, "{}", folder_line(&self.folder))
    }
}
