//! `audit`: verification, then provenance: the opening against the data,
//! and native training replayed against the proven weights.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::verify::{folder_line, read_statement_bundle, StatementSummary};
use super::DataArgs;
use crate::artifact;
use crate::circuit::prep::NormalizerClaim;
use crate::commitment::{Commitment, CommittedRows, Opening};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::output;
use crate::proof::Statement;
use crate::recipe::Hyper;
use crate::statement::Verifier;
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
    audit_with(&mut Verifier::default(), bundle_path, data, opening, model)
}

/// [`audit`] with `verifier` (and so its keys: pinned files, or the cache).
pub fn audit_with(
    verifier: &mut Verifier,
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
            Some((m, path))
        }
    };
    let bundle = read_statement_bundle(bundle_path)?;
    let st = &bundle.statement();
    // A rejection is a finding of the audit; any other failure is an error.
    let (verified, reason, verify_s) = match bundle.verify_with(verifier) {
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
            target = Some(m.fixed_weights().weights().clone());
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
    let opening = Opening::read(opening_path)?;
    opening
        .check_version()
        .map_err(|e| Error::artifact(opening_path, e.to_string()))?;
    let args = DataArgs {
        data: data.into(),
        train_fraction: opening.train_fraction,
        hyper: Hyper::of(&st.recipe),
        group: opening.group.as_ref().map(|g| g.column.name.clone()),
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
            .check(CommittedRows::of(&loaded.prepared))
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

/// `audit --train B1 [--eval B2] [--predict B3] [--commitment C]`: what the
/// chain of statements about one model is checked with.
#[derive(Clone, Debug, Default)]
pub struct ChainArgs {
    pub train: PathBuf,
    pub eval: Option<PathBuf>,
    pub predict: Option<PathBuf>,
    /// The preprocessing bundle of the commitment (`prove-preprocessing`).
    pub preprocessing: Option<PathBuf>,
    /// The commitment.json published before training.
    pub commitment: Option<PathBuf>,
    /// The training audit's optional checks.
    pub data: Option<PathBuf>,
    pub opening: Option<PathBuf>,
    pub model: Option<PathBuf>,
    /// Pinned verifier key files (any kinds) and their sha256, in order;
    /// empty: the key cache, else keys derived from each statement.
    pub vk: Vec<PathBuf>,
    pub vk_sha256: Vec<String>,
    /// Write a self-contained HTML report of the chain here.
    pub report: Option<PathBuf>,
}

impl ChainArgs {
    /// Whether these are a chain's (any link beside the training bundle)
    /// rather than one training bundle's audit.
    pub fn is_chain(&self) -> bool {
        self.eval.is_some()
            || self.predict.is_some()
            || self.preprocessing.is_some()
            || self.commitment.is_some()
            || self.report.is_some()
    }
}

/// `audit`'s report, of one training bundle or of a chain.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum AuditOf {
    Training(Box<AuditReport>),
    Chain(Box<ChainReport>),
}

/// What `audit` found: the report and whether everything checked holds.
#[derive(Clone, Debug, Serialize)]
pub struct Audited {
    #[serde(flatten)]
    pub report: AuditOf,
    /// Everything checked holds (exit 0; else 1).
    pub passed: bool,
    /// The HTML report written, if one was asked for.
    #[serde(skip)]
    pub html: Option<PathBuf>,
}

impl fmt::Display for Audited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.report {
            AuditOf::Training(r) => write!(f, "{r}"),
            AuditOf::Chain(r) => write!(f, "{r}"),
        }
    }
}

/// `audit` as the command and the Python package take it: the training
/// bundle's audit, or with any link the chain's (and its HTML report).
pub fn audit_any(args: &ChainArgs) -> Result<Audited> {
    match crate::statement::BundleKind::of(&args.train) {
        crate::statement::BundleKind::Inference => {
            return Err(Error::artifact(
                &args.train,
                "is an evaluation or predictions bundle; the audit's first bundle is the \
                 training bundle (proof.bundle): give this one with --eval or --predict",
            ))
        }
        crate::statement::BundleKind::Preprocessing => {
            return Err(Error::artifact(
                &args.train,
                "is a preprocessing bundle; the audit's first bundle is the training bundle \
                 (proof.bundle): give this one with --preprocessing",
            ))
        }
        crate::statement::BundleKind::Training => {}
    }
    if !args.is_chain() {
        let key = super::verify::KeyChoice::from_flags(&args.vk, &args.vk_sha256, &args.train)?;
        let r = audit_with(
            &mut key.verifier()?,
            &args.train,
            args.data.as_deref(),
            args.opening.as_deref(),
            args.model.as_deref(),
        )?;
        return Ok(Audited {
            passed: r.passed(),
            report: AuditOf::Training(Box::new(r)),
            html: None,
        });
    }
    let r = audit_chain(args)?;
    if let Some(path) = &args.report {
        r.write_html(path)?;
    }
    Ok(Audited {
        passed: r.passed(),
        report: AuditOf::Chain(Box::new(r)),
        html: args.report.clone(),
    })
}

/// One link of the chain: a fact two statements must agree on.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// The chain audit's report.
#[derive(Clone, Debug, Serialize)]
pub struct ChainReport {
    pub training: AuditReport,
    pub evaluation: Option<super::infer::InferVerifyReport>,
    pub predictions: Option<super::infer::InferVerifyReport>,
    pub preprocessing: Option<super::verify::PrepVerifyReport>,
    pub links: Vec<Link>,
    /// Feature names, when a model file named them.
    #[serde(skip)]
    pub feature_names: Option<Vec<String>>,
    #[serde(skip)]
    pub(crate) statements: ChainStatements,
}

/// The statements as read (verified or not), for the links and the report.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChainStatements {
    pub(crate) evaluation: Option<crate::inference::InferStatement>,
    pub(crate) predictions: Option<crate::inference::InferStatement>,
    pub(crate) preprocessing: Option<crate::preprocessing::PrepStatement>,
}

impl ChainReport {
    /// The names of the links that do not hold, in order.
    pub fn broken_links(&self) -> Vec<&str> {
        (self.links.iter().filter(|l| !l.ok))
            .map(|l| l.name.as_str())
            .collect()
    }

    /// Every bundle verified, the training audit's checks held, every link
    /// holds.
    pub fn passed(&self) -> bool {
        self.training.passed()
            && [&self.evaluation, &self.predictions]
                .iter()
                .all(|r| r.as_ref().is_none_or(|r| r.accepted))
            && self.preprocessing.as_ref().is_none_or(|r| r.accepted)
            && self.links.iter().all(|l| l.ok)
    }
}

fn link(name: &str, ok: bool, detail: String) -> Link {
    Link {
        name: name.into(),
        ok,
        detail,
    }
}

/// An evaluation by groups: its groups (`C_G` and the attribute's labels)
/// are the ones `commitment.json` published before training. Without
/// `commitment.json` nothing anchors them, so the link fails and says what
/// to give.
fn group_link(
    eval: &crate::inference::InferStatement,
    public: Option<&super::CommitmentFile>,
) -> Option<Link> {
    let crate::inference::Claim::Evaluation {
        groups: Some(groups),
        ..
    } = &eval.claim
    else {
        return None;
    };
    let column = eval.spec.group.as_ref()?;
    let name = format!(
        "evaluation: its groups of `{}` are the ones published before training",
        column.name
    );
    Some(match public.and_then(|p| p.group.as_ref()) {
        None if public.is_none() => link(
            &name,
            false,
            "not anchored: give --commitment commitment.json, which publishes C_G".into(),
        ),
        None => link(
            &name,
            false,
            "commitment.json publishes no protected attribute".into(),
        ),
        Some(g) if g.commitment != groups.commitment => link(
            &name,
            false,
            format!(
                "the evaluation's C_G is {}, commitment.json's {}",
                groups.commitment, g.commitment
            ),
        ),
        Some(g) if g.column != *column => link(
            &name,
            false,
            format!(
                "the evaluation names the groups {}, commitment.json {}",
                column.labels.join(", "),
                g.column.labels.join(", ")
            ),
        ),
        Some(g) => link(
            &name,
            true,
            format!("C_G {} with its {} groups", g.commitment, column.groups()),
        ),
    })
}

/// The model a statement names, as text.
pub(crate) fn model_text(model: &crate::proof::PublishedModel) -> String {
    match model {
        crate::proof::PublishedModel::Weights(w) => format!("weights sha256 {}", w.sha256_hex()),
        crate::proof::PublishedModel::Committed(c) => format!("C_W {c}"),
    }
}

/// The links of an evaluation or predictions statement (`role`) to the
/// training statement: the same model (`W` or `C_W`, by value), the same
/// fixed-point format and feature count.
fn model_links(role: &str, st: &crate::inference::InferStatement, train: &Statement) -> [Link; 2] {
    let (got, want) = (model_text(&st.model), model_text(&train.model));
    let same = st.model == train.model;
    let shape_ok =
        st.spec.format == train.recipe.format && st.spec.features == train.recipe.features;
    [
        link(
            &format!("{role}: same model as training"),
            same,
            if same {
                want
            } else {
                format!("{role} states {got}, training {want}")
            },
        ),
        link(
            &format!("{role}: the training's fixed-point format and features"),
            shape_ok,
            format!(
                "{} features, training {}",
                st.spec.features, train.recipe.features
            ),
        ),
    ]
}

/// Audits the chain: the training audit, each further bundle verified, and
/// the links between them.
pub fn audit_chain(args: &ChainArgs) -> Result<ChainReport> {
    use crate::circuit::infer::Task;
    use crate::inference::{Claim, InferBundle};
    // A model with its weights joins the training audit; the public part
    // of a committed model (model.public.json) is checked as a link.
    let model_file = match args.model.as_deref() {
        Some(p) => Some((super::verify::ModelFile::read(p)?, p)),
        None => None,
    };
    let full_model = match &model_file {
        Some((super::verify::ModelFile::Full(_), p)) => Some(*p),
        _ => None,
    };
    let mut verifier =
        super::verify::KeyChoice::from_flags(&args.vk, &args.vk_sha256, &args.train)?.verifier()?;
    let training = audit_with(
        &mut verifier,
        &args.train,
        args.data.as_deref(),
        args.opening.as_deref(),
        full_model,
    )?;
    let train_st = read_statement_bundle(&args.train)?.statement();
    let read_infer = |p: &Option<PathBuf>| -> Result<Option<(InferBundle, PathBuf)>> {
        match p {
            None => Ok(None),
            Some(p) => Ok(Some((
                InferBundle::read(p).map_err(|e| match e {
                    Error::Rejected(r) => Error::artifact(
                        p,
                        format!("is not a readable evaluation or predictions bundle: {r}"),
                    ),
                    e => e,
                })?,
                p.clone(),
            ))),
        }
    };
    let eval = read_infer(&args.eval)?;
    let predict = read_infer(&args.predict)?;
    let prep = match &args.preprocessing {
        None => None,
        Some(p) => Some(
            crate::preprocessing::PrepBundle::read(p).map_err(|e| match e {
                Error::Rejected(r) => {
                    Error::artifact(p, format!("is not a readable preprocessing bundle: {r}"))
                }
                e => e,
            })?,
        ),
    };
    let mut links = Vec::new();
    let train_model = model_text(&train_st.model);
    if let Some((m @ super::verify::ModelFile::Public(_), p)) = &model_file {
        let diffs = m.differences(&train_st);
        links.push(link(
            "model file: the training statement's model",
            diffs.is_empty(),
            if diffs.is_empty() {
                format!("{} states {train_model}", p.display())
            } else {
                format!("{} differs in {}", p.display(), diffs.join(", "))
            },
        ));
    }
    if let Some((b, p)) = &eval {
        let st = &b.statement;
        let Task::Evaluate(split) = st.spec.task else {
            return Err(Error::artifact(
                p,
                "is a predictions bundle; give it with --predict",
            ));
        };
        links.extend(model_links("evaluation", st, &train_st));
        let Claim::Evaluation { commitment, .. } = &st.claim else {
            return Err(Error::artifact(p, "states no evaluation"));
        };
        // The chain's evaluation is the model's accuracy on rows it was not
        // trained on: a training-split evaluation is not that link (its
        // accuracy would be shown as if it were the test accuracy).
        if split == crate::commitment::Split::Train {
            return Err(Error::artifact(
                p,
                "is an evaluation on the training split; the chain's evaluation link is to \
                 the test split: give the bundle of prove-eval --split test (verify this one \
                 on its own with foldtrain verify)",
            ));
        }
        let (want, what) = (train_st.test_commitment, "test");
        links.push(link(
            &format!("evaluation: on the {what} commitment published with training"),
            *commitment == want,
            if *commitment == want {
                format!("{commitment}")
            } else {
                format!("evaluation is on {commitment}, the training statement's {what} commitment is {want}")
            },
        ));
    }
    if let Some((b, p)) = &predict {
        let st = &b.statement;
        if st.spec.task != Task::Predict {
            return Err(Error::artifact(
                p,
                "is an evaluation bundle; give it with --eval",
            ));
        }
        links.extend(model_links("predictions", st, &train_st));
        if let (
            Claim::Predictions {
                normalizer: Some(n),
                ..
            },
            Some((m, _)),
        ) = (&st.claim, &model_file)
        {
            let (ok, detail) = model_normalizer_agreement(n, m, "the raw predictions'");
            links.push(link(
                "predictions: its raw inputs are normalized by the model's normalizer",
                ok,
                detail,
            ));
        }
    }
    let public = match &args.commitment {
        Some(path) => Some(super::CommitmentFile::read(path)?),
        None => None,
    };
    if let Some((b, _)) = &eval {
        if let Some(link) = group_link(&b.statement, public.as_ref()) {
            links.push(link);
        }
    }
    if let Some(public) = &public {
        let ok = public.train.commitment == train_st.commitment;
        links.push(link(
            "training: on the published training commitment",
            ok,
            format!(
                "{} published, {} proven",
                public.train.commitment, train_st.commitment
            ),
        ));
        let ok = public.test.commitment == train_st.test_commitment;
        links.push(link(
            "training: carries the published test commitment",
            ok,
            format!(
                "{} published, {} carried",
                public.test.commitment, train_st.test_commitment
            ),
        ));
    }
    if let Some(b) = &prep {
        links.extend(preprocessing_links(
            &b.statement,
            &train_st,
            model_file.as_ref().map(|(m, _)| m),
            eval.as_ref().map(|(b, _)| &b.statement),
            predict.as_ref().map(|(b, _)| &b.statement),
            args.commitment.as_deref(),
        )?);
    }
    let preprocessing = match &args.preprocessing {
        Some(p) => Some(super::verify::verify_kind::<
            crate::preprocessing::PrepStatement,
            _,
        >(&mut verifier, p, super::prep::PrepSummary::of)?),
        None => None,
    };
    let mut verify =
        |b: &Option<(InferBundle, PathBuf)>| -> Result<Option<super::infer::InferVerifyReport>> {
            match b {
                None => Ok(None),
                Some((_, p)) => super::infer::verify_infer(&mut verifier, p).map(Some),
            }
        };
    let feature_names = match &model_file {
        Some((super::verify::ModelFile::Full(m), _)) => Some(m.feature_names.clone()),
        Some((super::verify::ModelFile::Public(m), _)) => Some(m.feature_names.clone()),
        None => None,
    };
    Ok(ChainReport {
        training,
        evaluation: verify(&eval)?,
        predictions: verify(&predict)?,
        preprocessing,
        links,
        feature_names,
        statements: ChainStatements {
            evaluation: eval.map(|(b, _)| b.statement),
            predictions: predict.map(|(b, _)| b.statement),
            preprocessing: prep.map(|b| b.statement),
        },
    })
}

/// The links of a preprocessing statement, each checked by value: its
/// quantized commitments are the ones training (and evaluation) read, its
/// normalizer the model's and the raw predictions', its raw commitments
/// the published ones.
fn preprocessing_links(
    prep: &crate::preprocessing::PrepStatement,
    train: &Statement,
    model: Option<&super::verify::ModelFile>,
    eval: Option<&crate::inference::InferStatement>,
    predict: Option<&crate::inference::InferStatement>,
    commitment: Option<&Path>,
) -> Result<Vec<Link>> {
    let c = &prep.commitments;
    let same = |name: &str, got: Commitment, want: Commitment, whose: &str| {
        link(
            name,
            got == want,
            if got == want {
                format!("{got}")
            } else {
                format!("the preprocessing's is {got}, {whose} {want}")
            },
        )
    };
    let mut links = vec![
        same(
            "preprocessing: its quantized training rows are the ones training read",
            c.train,
            train.commitment,
            "the training statement's",
        ),
        same(
            "preprocessing: its quantized test rows are the ones training carries",
            c.test,
            train.test_commitment,
            "the training statement's",
        ),
    ];
    if let Some(crate::inference::Claim::Evaluation { commitment, .. }) = eval.map(|e| &e.claim) {
        links.push(same(
            "preprocessing: its quantized test rows are the ones evaluated",
            c.test,
            *commitment,
            "the evaluation's",
        ));
    }
    let normalizer = &prep.normalizer;
    if let Some(m) = model {
        let (ok, detail) = model_normalizer_agreement(normalizer, m, "the preprocessing's");
        links.push(link(
            "preprocessing: its normalizer is the model's",
            ok,
            detail,
        ));
    }
    if let Some(crate::inference::Claim::Predictions {
        normalizer: Some(n),
        ..
    }) = predict.map(|p| &p.claim)
    {
        let (ok, detail) = match (normalizer, n) {
            (NormalizerClaim::Public(p), NormalizerClaim::Public(n)) if p == n => {
                (true, "the same means and deviations, exactly".into())
            }
            (NormalizerClaim::Public(p), NormalizerClaim::Public(n)) => {
                (false, normalizer_difference(n, p))
            }
            (NormalizerClaim::Committed(p), NormalizerClaim::Committed(n)) if p == n => {
                (true, format!("the same normalizer commitment C_N {p}"))
            }
            (NormalizerClaim::Committed(p), NormalizerClaim::Committed(n)) => (
                false,
                format!("the raw predictions' C_N is {n}, the preprocessing's {p}"),
            ),
            (NormalizerClaim::Public(_), NormalizerClaim::Committed(_)) => (
                false,
                "the raw predictions open a committed normalizer (C_N), the preprocessing \
                 publishes its values: they cannot be the same statement's"
                    .into(),
            ),
            (NormalizerClaim::Committed(_), NormalizerClaim::Public(_)) => (
                false,
                "the raw predictions publish a normalizer, the preprocessing commits to its \
                 own: a private normalizer must stay private"
                    .into(),
            ),
        };
        links.push(link(
            "preprocessing: the raw predictions are quantized by its normalizer",
            ok,
            detail,
        ));
    }
    if let Some(path) = commitment {
        let public = super::CommitmentFile::read(path)?;
        links.push(same(
            "preprocessing: on the published raw training commitment",
            c.raw_train,
            public.raw_train.commitment,
            "commitment.json's",
        ));
        links.push(same(
            "preprocessing: on the published raw test commitment",
            c.raw_test,
            public.raw_test.commitment,
            "commitment.json's",
        ));
    }
    Ok(links)
}

/// Whether a statement's normalizer (`claim`, `whose`) is the model
/// file's, by value: its values (a public model file, or a private one),
/// or `C_N` (a private file with its salt, or a public file of a private
/// normalizer); with what differs, in words.
fn model_normalizer_agreement(
    claim: &NormalizerClaim,
    model: &super::verify::ModelFile,
    whose: &str,
) -> (bool, String) {
    let (values, commitment) = match model {
        super::verify::ModelFile::Full(m) => {
            (Some(m.normalizer.clone()), m.normalizer_commitment())
        }
        super::verify::ModelFile::Public(m) => (m.normalizer.clone(), m.normalizer_commitment),
    };
    match (claim, values, commitment) {
        (NormalizerClaim::Public(n), Some(m), _) if m == *n => {
            (true, "the same means and deviations, exactly".into())
        }
        (NormalizerClaim::Public(n), Some(m), _) => (false, normalizer_difference(&m, n)),
        (NormalizerClaim::Committed(c), _, Some(m)) if m == *c => {
            (true, format!("the same normalizer commitment C_N {c}"))
        }
        (NormalizerClaim::Committed(c), _, Some(m)) => {
            (false, format!("the model's C_N is {m}, {whose} {c}"))
        }
        (NormalizerClaim::Public(_), None, _) => (
            false,
            format!(
                "the model file keeps its normalizer private (it lists C_N), {whose} is public: \
                 prove it with the normalizer private to link them"
            ),
        ),
        (NormalizerClaim::Committed(_), _, None) => (
            false,
            format!(
                "{whose} is committed (C_N), and the model file has no C_N to compare it with \
                 (a model of public weights, or one trained without --private-normalizer)"
            ),
        ),
    }
}

/// Where two normalizers first differ, in words.
fn normalizer_difference(
    got: &crate::dataset::Normalizer,
    want: &crate::dataset::Normalizer,
) -> String {
    if got.features() != want.features() {
        return format!(
            "{} features against the preprocessing's {}",
            got.features(),
            want.features()
        );
    }
    let first = (0..got.features())
        .find(|&j| got.means()[j] != want.means()[j] || got.stds()[j] != want.stds()[j])
        .unwrap_or(0);
    format!(
        "feature {first}: mean {} sd {} against the preprocessing's mean {} sd {}",
        got.means_f64()[first],
        got.stds_f64()[first],
        want.means_f64()[first],
        want.stds_f64()[first]
    )
}

impl fmt::Display for ChainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = |ok: bool| if ok { "ok    " } else { "FAILED" };
        writeln!(f, "{}", self.training)?;
        writeln!(f)?;
        writeln!(
            f,
            "chain                                                      "
        )?;
        writeln!(
            f,
            "  {}  training     {}",
            mark(self.training.passed()),
            self.training.bundle.display()
        )?;
        if let Some(r) = &self.preprocessing {
            writeln!(
                f,
                "  {}  {:<12} {}{}",
                mark(r.accepted),
                "preprocessing",
                r.bundle.display(),
                r.reason
                    .as_ref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            )?;
        }
        for (what, r) in [
            ("evaluation", &self.evaluation),
            ("predictions", &self.predictions),
        ] {
            if let Some(r) = r {
                writeln!(
                    f,
                    "  {}  {what:<12} {}{}",
                    mark(r.accepted),
                    r.bundle.display(),
                    r.reason
                        .as_ref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                )?;
            }
        }
        if let Some(Some(c)) = self
            .evaluation
            .as_ref()
            .map(|e| e.statement.as_ref().and_then(|s| s.counts))
        {
            writeln!(
                f,
                "  proven accuracy {} on {} rows (TP {} FP {} TN {} FN {})",
                c.accuracy()
                    .map_or("n/a".into(), |a| format!("{:.2}%", a * 100.0)),
                c.total(),
                c.tp,
                c.fp,
                c.tn,
                c.fn_
            )?;
        }
        if let Some(fair) = (self.evaluation.as_ref())
            .and_then(|e| e.statement.as_ref())
            .and_then(|s| s.fairness.as_ref())
        {
            for line in fair.lines() {
                writeln!(f, "  {line}")?;
            }
        }
        for l in &self.links {
            writeln!(f, "  {}  {}: {}", mark(l.ok), l.name, l.detail)?;
        }
        write!(
            f,
            "audit {}",
            if self.passed() { "PASSED" } else { "FAILED" }
        )
    }
}
