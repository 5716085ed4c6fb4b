//! The `foldtrain` binary: parses arguments into validated settings, calls the
//! library and maps outcomes to exit codes (0 success, 1 proof rejected,
//! 2 usage, input or I/O error).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use foldtrain::commands::{self, DataArgs};
use foldtrain::dataset::TrainFraction;
use foldtrain::fixed::{FixedFormat, Sigmoid};
use foldtrain::ivc::prover::{Observer, Phase};
use foldtrain::recipe::{ClassWeight, Hyper, WeightsVisibility};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Exit codes: what a script can rely on.
mod exit {
    /// Success; for `verify` and `audit`, accepted.
    pub const OK: u8 = 0;
    /// `verify` or `audit` ran and the proof (or model, or provenance) was
    /// rejected.
    pub const REJECTED: u8 = 1;
    /// A usage, input or I/O error: nothing was decided.
    pub const ERROR: u8 = 2;
    /// Stopped by Ctrl-C, with a checkpoint (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser)]
#[command(
    name = "foldtrain",
    version,
    about = "Zero-knowledge proofs that a logistic-regression model was trained on committed private data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print one JSON object on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars or notes on stderr (warnings and errors still show).
    #[arg(long, global = true)]
    quiet: bool,
}

/// The flags shared by `prove` and `resume`.
#[derive(Args, Clone, Debug)]
struct RunFlags {
    /// Output folder (default for prove: the dataset's name, in the working
    /// folder; for resume: the folder whose private/checkpoints it resumes).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write a checkpoint every N steps (default: every two minutes; 0: no
    /// checkpoints, not even the one guarding compression).
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<usize>,
    /// Replace existing public files of an earlier run (a private opening is
    /// never replaced).
    #[arg(long)]
    force: bool,
}

impl RunFlags {
    /// The run's settings, with a Ctrl-C handler that stops it cleanly.
    fn into_settings(self) -> commands::RunSettings {
        commands::RunSettings {
            out_dir: self.out,
            checkpoint_every: self.checkpoint_every,
            interrupt: Some(interrupt_flag()),
            force: self.force,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train natively in fixed point (what is proven) and in f64, and compare.
    Train {
        #[command(flatten)]
        data: DataFlags,
        /// Write the model (weights, bias, preprocessing, recipe) here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Commit to the training and the test rows, before training: a public
    /// commitment.json (both commitments) and a private opening (both salts).
    Commit {
        #[command(flatten)]
        data: DataFlags,
        /// Folder for commitment.json (public) and private/opening.json (0600).
        #[arg(long)]
        out: PathBuf,
        /// A protected attribute (a column, or the prefix of one-hot columns
        /// NAME_*; at most 8 groups): committed with the test rows, so that
        /// `prove-eval` proves the counts of each group, and left out of
        /// the features of every command that opens this commitment.
        #[arg(long, value_name = "COLUMN")]
        group: Option<String>,
        /// Replace existing public files of an earlier run (a private
        /// opening is never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Prove training end to end: commit (or take --commitment), fold every
    /// step, compress, verify, write proof.bundle, commitment.json, the model
    /// and private/opening.json.
    Prove {
        #[command(flatten)]
        data: DataFlags,
        #[command(flatten)]
        run: RunFlags,
        /// Prove against the commitment `foldtrain commit --out DIR` wrote
        /// (DIR or DIR/commitment.json; its private/opening.json is read):
        /// the data must open it. Its split and format are used.
        #[arg(long, value_name = "DIR")]
        commitment: Option<PathBuf>,
        /// With --private-weights, keep the normalizer private too (it is
        /// then only in private/model.json).
        #[arg(long, requires = "private_weights")]
        private_normalizer: bool,
        /// Folder for checkpoints (default: OUT/private/checkpoints). Private:
        /// they hold the witness.
        #[arg(long, value_name = "DIR", conflicts_with = "segments")]
        checkpoint_dir: Option<PathBuf>,
        /// Prove the run in K segments, as parallel processes on this
        /// machine (plan, prove-segment for each, join); the bundle is a
        /// segmented training bundle. No checkpoints: a failed segment is
        /// proven again with prove-segment.
        #[arg(long, value_name = "K")]
        segments: Option<usize>,
        /// With --segments, run at most N segment processes at a time
        /// (default: all of them).
        #[arg(long, value_name = "N", requires = "segments")]
        jobs: Option<usize>,
    },
    /// Plan a run in segments (proven apart, on any machines): commit (or
    /// take --commitment), cut the run's folded steps into K balanced ranges
    /// and write commitment.json, private/opening.json and the private plan
    /// private/segments.json into --out. Then prove-segment each, then join.
    Plan {
        #[command(flatten)]
        data: DataFlags,
        /// How many segments.
        #[arg(long, value_name = "K")]
        segments: usize,
        /// The plan folder (default: the dataset's name, in the working folder).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Prove against the commitment `foldtrain commit --out DIR` wrote.
        #[arg(long, value_name = "DIR")]
        commitment: Option<PathBuf>,
        /// With --private-weights, keep the normalizer private too.
        #[arg(long, requires = "private_weights")]
        private_normalizer: bool,
        /// Plan afresh in a folder that holds a plan (its segment proofs are
        /// removed) or an earlier run's public files.
        #[arg(long)]
        force: bool,
    },
    /// Prove one segment of a plan (an independent process: any machine
    /// with the plan folder and the data) into DIR/segments/.
    ProveSegment(commands::SegmentArgs),
    /// Gather a plan's proven segments into DIR/proof.bundle, check it, and
    /// write the model and manifest as prove does.
    Join(commands::JoinArgs),
    /// Continue an interrupted prove from its newest valid checkpoint.
    Resume {
        /// The checkpoint folder of the interrupted run.
        #[arg(long, value_name = "DIR")]
        checkpoint_dir: PathBuf,
        /// The CSV (default: the path recorded in the checkpoint).
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        run: RunFlags,
    },
    /// Verify proof bundles of any kind: exit 0 accepted, 1 rejected, 2 usage
    /// or I/O error. Several bundles are checked in one process, each
    /// statement's key read or derived once, and the exit status is the worst
    /// of theirs (2 if any could not be checked, else 1 if any is rejected).
    Verify {
        /// Bundles written by prove, prove-eval or prove-predict.
        #[arg(required = true, num_args = 1.., value_name = "BUNDLE")]
        bundles: Vec<PathBuf>,
        /// Also check that this model.json holds exactly the statement's
        /// weights, bias and recipe (exit 1 if not); one bundle only.
        #[arg(long, value_name = "MODEL")]
        model: Option<PathBuf>,
        #[command(flatten)]
        keys: KeyFlags,
    },
    /// Derive a statement's verifier key from scratch and write it (with its
    /// sha256) for `verify --vk`: the spec of a bundle of any kind, or the
    /// training recipe of --data and the recipe flags.
    Keys {
        /// A bundle (training, evaluation or predictions) whose statement's
        /// spec to use (not verified).
        #[arg(conflicts_with = "recipe_of")]
        bundle: Option<PathBuf>,
        /// The same as BUNDLE.
        #[arg(long, value_name = "BUNDLE")]
        recipe_of: Option<PathBuf>,
        /// Where to write the key.
        #[arg(long, default_value = "vk.bin")]
        out: PathBuf,
        /// Replace an existing --out file.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataFlags,
    },
    /// Verify a bundle and report its provenance; with --data and --opening,
    /// also open the commitment and replay training to confirm the weights.
    /// Exit 0 only when everything checked holds, 1 otherwise.
    Audit {
        /// A proof.bundle written by prove (the same as --train).
        #[arg(required_unless_present = "train", conflicts_with = "train")]
        bundle: Option<PathBuf>,
        /// The training proof.bundle of a chain of statements about one model.
        #[arg(long, value_name = "BUNDLE")]
        train: Option<PathBuf>,
        /// An evaluation bundle (prove-eval) of the same model.
        #[arg(long, value_name = "BUNDLE")]
        eval: Option<PathBuf>,
        /// A predictions bundle (prove-predict) of the same model.
        #[arg(long, value_name = "BUNDLE")]
        predict: Option<PathBuf>,
        /// The commitment's preprocessing bundle (prove-preprocessing):
        /// linked by value to training, evaluation, the model's normalizer
        /// and raw predictions.
        #[arg(long, value_name = "BUNDLE")]
        preprocessing: Option<PathBuf>,
        /// The commitment.json published before training: the training
        /// statement must carry both of its commitments.
        #[arg(long, value_name = "FILE")]
        commitment: Option<PathBuf>,
        /// Write a self-contained HTML report of the audit here.
        #[arg(long, value_name = "HTML")]
        report: Option<PathBuf>,
        /// The training CSV (needs --opening).
        #[arg(long, requires = "opening")]
        data: Option<PathBuf>,
        /// The private/opening.json written by prove or commit (needs --data).
        #[arg(long, requires = "data")]
        opening: Option<PathBuf>,
        /// With committed weights: the private/model.json that opens the
        /// statement's C_W (and, with --data, the weights the replay must give).
        #[arg(long, value_name = "MODEL")]
        model: Option<PathBuf>,
        #[command(flatten)]
        keys: KeyFlags,
    },
    /// Prove a model's confusion counts (accuracy, precision, recall) on a
    /// committed split: the data must open the commitment.
    ProveEval(commands::EvalArgs),
    /// Prove the preprocessing of a commitment: the normalizer is what the
    /// committed raw training rows give, and the quantized commitments hold
    /// the raw rows of both splits quantized with it; writes
    /// preprocessing.bundle beside commitment.json.
    ProvePreprocessing(commands::PrepArgs),
    /// Prove a model's logit and decision on each row of a CSV of raw
    /// feature values; writes predict.bundle and predictions.json.
    ProvePredict(commands::PredictArgs),
    /// What a proof will cost: steps, constraints, and a time estimate from
    /// a short calibration on this machine.
    Estimate {
        #[command(flatten)]
        data: DataFlags,
    },
    /// Print a bundle's statement: recipe, commitment, weights, steps, digest
    /// (not verified).
    Inspect {
        /// A proof.bundle written by prove.
        bundle: PathBuf,
    },
    /// Accuracy of a saved model on a labelled CSV.
    Evaluate {
        /// A model.json written by train or prove.
        #[arg(long)]
        model: PathBuf,
        /// A CSV with the model's feature columns and a `label` column.
        #[arg(long)]
        data: PathBuf,
        /// Evaluate on one split of the CSV (test or train, by the model's
        /// training fraction, as commit splits) instead of every row.
        #[arg(long)]
        split: Option<foldtrain::commitment::Split>,
    },
}

/// Pinned verifier key files, shared by verify and audit.
#[derive(Args, Clone, Debug, Default)]
struct KeyFlags {
    /// Verify with this verifier key file only (written by `keys`), pinned by
    /// the --vk-sha256 after it; no parameters are built. Repeat for keys of
    /// several statements (a chain: training, evaluation, predictions); each
    /// bundle is checked with the key of its spec (default: the key cache,
    /// else a key derived from each bundle's statement).
    #[arg(long, value_name = "FILE")]
    vk: Vec<PathBuf>,
    /// The sha256 (64 hex digits, as `keys` prints it) the --vk file before
    /// it must have: required with --vk, since a key file's own label proves
    /// nothing.
    #[arg(long, value_name = "HEX", requires = "vk", value_parser = parse_sha256)]
    vk_sha256: Vec<String>,
}

/// The dataset and the recipe flags shared by train, commit and prove.
#[derive(Args, Clone, Debug)]
struct DataFlags {
    /// CSV: a header, numeric feature columns, a last column `label` (0/1).
    /// Default: the shipped German credit dataset.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Passes over the training rows.
    #[arg(long, default_value_t = Hyper::default().epochs)]
    epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = Hyper::default().learning_rate)]
    lr: f64,
    /// L2 penalty lambda on the weights (not the bias): each batch updates
    /// w -= lr (grad + lambda w). scikit-learn's C is 1 / (lambda n).
    #[arg(long, value_name = "LAMBDA", default_value_t = Hyper::default().l2)]
    l2: f64,
    /// Class weights, as scikit-learn's class_weight: `balanced` (n / (2
    /// n_c) from the training labels) or W0,W1; each row's gradient is
    /// scaled by its class's weight (rounded to 2^-8, recorded in the
    /// recipe).
    #[arg(long, value_name = "balanced|W0,W1", default_value = "none")]
    class_weight: ClassWeight,
    /// Mini-batch size (a multiple of 8).
    #[arg(long, default_value_t = Hyper::default().batch)]
    batch: usize,
    /// Mini-batches folded per Nova step; must divide the batches of an
    /// epoch (default: the divisor of least predicted proving time, by the
    /// cost model `estimate` prints).
    #[arg(long, value_name = "K")]
    batches_per_step: Option<usize>,
    /// Share of rows, in file order, that train; the rest test.
    #[arg(long, default_value_t = commands::DEFAULT_TRAIN_FRACTION)]
    train_fraction: TrainFraction,
    /// Sigmoid approximation: hard4 (slope 1/4, default) or clip3 (zkPoT's).
    #[arg(long, default_value_t = Hyper::default().sigmoid, value_parser = parse_sigmoid)]
    sigmoid: Sigmoid,
    /// Fractional bits of weights (the fixed-point scale 2^F).
    #[arg(long, default_value_t = FixedFormat::default().frac_bits)]
    frac_bits: u32,
    /// Fractional bits of features (their scale 2^Fx, at most --frac-bits).
    #[arg(long, default_value_t = FixedFormat::default().feature_frac_bits)]
    feature_frac_bits: u32,
    /// Publish only a hiding commitment C_W to the trained weights, not the
    /// weights (the model goes to private/model.json).
    #[arg(long)]
    private_weights: bool,
}

fn parse_sha256(s: &str) -> Result<String, String> {
    if foldtrain::ivc::keys::is_sha256_hex(s) {
        Ok(s.trim().to_ascii_lowercase())
    } else {
        Err(format!(
            "`{s}` is not a sha256: give the 64 hex digits `foldtrain keys` printed"
        ))
    }
}

fn parse_sigmoid(s: &str) -> Result<Sigmoid, String> {
    Sigmoid::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Sigmoid::ALL.iter().map(|s| s.name()).collect();
        format!("unknown sigmoid `{s}`; choose one of {}", names.join(", "))
    })
}

impl DataFlags {
    fn to_args(&self) -> DataArgs {
        DataArgs {
            data: self.data.clone().unwrap_or_else(commands::default_dataset),
            train_fraction: self.train_fraction,
            hyper: Hyper {
                epochs: self.epochs,
                learning_rate: self.lr,
                l2: self.l2,
                class_weight: self.class_weight,
                batch: self.batch,
                batches_per_step: self.batches_per_step,
                sigmoid: self.sigmoid,
                format: FixedFormat {
                    frac_bits: self.frac_bits,
                    feature_frac_bits: self.feature_frac_bits,
                    ..FixedFormat::default()
                },
                weights: if self.private_weights {
                    WeightsVisibility::Committed
                } else {
                    WeightsVisibility::Public
                },
            },
            group: None,
        }
    }
}

/// How a command's report is printed.
#[derive(Clone, Copy)]
struct Output {
    json: bool,
    quiet: bool,
}

impl Output {
    /// Prints a report as JSON or as text.
    fn report<T: serde::Serialize + std::fmt::Display>(self, r: &T) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(r)?);
        } else {
            println!("{r}");
        }
        Ok(())
    }

    /// A note for people on stderr (not with --json or --quiet).
    fn note(self, text: &str) {
        if !self.json && !self.quiet {
            eprintln!("{text}");
        }
    }
}

/// Draws the prover's progress on stderr: what begins (a note), a spinner
/// for setup and compression, a bar for folding, one clock for the whole
/// job and, when the cost model predicts the run (training), the time left
/// in all, corrected by the measured folding rate. Hidden with --quiet, and
/// by indicatif when stderr is not a terminal.
struct Bars {
    bar: ProgressBar,
    out: Output,
    eta: std::sync::Mutex<Eta>,
}

/// What the whole-job estimate is made of.
#[derive(Default)]
struct Eta {
    prediction: Option<foldtrain::plan::Prediction>,
    /// When folding began, at which step, of how many.
    folding: Option<(std::time::Instant, usize, usize)>,
}

impl Eta {
    /// Seconds left in all after `done` folded steps, if predicted.
    fn left(&self, done: usize) -> Option<f64> {
        let (p, (start, from, total)) = (self.prediction.as_ref()?, self.folding?);
        let so_far = start.elapsed().as_secs_f64();
        let left = foldtrain::plan::seconds_left(p, (done, total), so_far, done - from.min(done));
        Some(left)
    }
}

/// `s` seconds as people read a wait: "40 s", "3 min".
fn wait(s: f64) -> String {
    if s < 90.0 {
        format!("{:.0} s", s.max(1.0))
    } else {
        format!("{:.0} min", s / 60.0)
    }
}

impl Bars {
    fn new(out: Output) -> Self {
        let target = if out.quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Bars {
            bar: ProgressBar::with_draw_target(None, target),
            out,
            eta: Default::default(),
        }
    }

    fn eta(&self) -> std::sync::MutexGuard<'_, Eta> {
        self.eta.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn spin(&self, message: String) {
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        self.bar.set_message(message);
        self.bar.enable_steady_tick(Duration::from_millis(200));
    }
}

impl Observer for Bars {
    fn begun(&self, what: &str) {
        self.bar.suspend(|| self.out.note(what));
    }

    fn predicted(&self, prediction: &foldtrain::plan::Prediction) {
        self.eta().prediction = Some(*prediction);
    }

    fn phase(&self, phase: Phase) {
        match phase {
            Phase::Setup => self.spin("loading or building the public parameters".into()),
            Phase::Fold { done, total } => {
                self.bar.disable_steady_tick();
                // Length and position first, so the bar never shows 0/0.
                self.bar.set_length(total as u64);
                self.bar.set_position(done as u64);
                self.bar.reset_eta();
                let predicted = {
                    let mut eta = self.eta();
                    eta.folding = Some((std::time::Instant::now(), done, total));
                    eta.prediction.is_some()
                };
                // With a prediction, the message carries the whole job's
                // time left; without, the bar's ETA is folding's.
                let template = if predicted {
                    "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} steps"
                } else {
                    "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} steps, folding ETA {eta}"
                };
                self.bar.set_message("folding");
                self.bar.set_style(
                    ProgressStyle::with_template(template)
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
            Phase::Compress => {
                let left = self.eta().left(self.bar.length().unwrap_or(0) as usize);
                self.spin(match left {
                    Some(s) => format!(
                        "compressing into the zero-knowledge SNARK (about {} left in all)",
                        wait(s)
                    ),
                    None => "compressing into the zero-knowledge SNARK".into(),
                });
            }
            Phase::Check => self.spin("verifying the bundle before writing it".into()),
        }
    }

    fn note(&self, line: &str) {
        self.bar.suspend(|| self.out.note(line));
    }

    fn folded(&self, done: usize) {
        self.bar.set_position(done as u64);
        if let Some(s) = self.eta().left(done) {
            self.bar
                .set_message(format!("folding, about {} left in all", wait(s)));
        }
    }

    fn finished(&self) {
        self.bar.finish_and_clear();
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let out = Output {
        json: cli.json,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Train { data, out: path } => {
            let (r, _) = commands::train(&data.to_args(), path.as_deref())?;
            out.report(&r)?;
        }
        Command::Commit {
            data,
            out: dir,
            group,
            force,
        } => out.report(&commands::commit(
            &DataArgs {
                group,
                ..data.to_args()
            },
            &dir,
            force,
        )?)?,
        Command::Prove {
            data,
            run,
            commitment,
            private_normalizer,
            checkpoint_dir,
            segments,
            jobs,
        } => {
            let args = commands::ProveArgs {
                data: data.to_args(),
                commitment,
                private_normalizer,
                checkpoint_dir,
                run: run.into_settings(),
            };
            let r = match segments {
                None => commands::prove_with(&args, &Bars::new(out))?,
                Some(k) => {
                    let exe = std::env::current_exe()?;
                    commands::prove_in_segments(&args, k, jobs, &exe, &Bars::new(out))?
                }
            };
            print_prove(&r, out)?;
        }
        Command::Plan {
            data,
            segments,
            out: dir,
            commitment,
            private_normalizer,
            force,
        } => {
            let args = commands::ProveArgs {
                data: data.to_args(),
                commitment,
                private_normalizer,
                checkpoint_dir: None,
                run: commands::RunSettings {
                    out_dir: dir,
                    force,
                    ..Default::default()
                },
            };
            let r = commands::plan(&args, segments)?;
            for w in &r.warnings {
                eprintln!("warning: {w}");
            }
            out.report(&r)?;
        }
        Command::ProveSegment(args) => {
            out.report(&commands::prove_segment_with(&args, &Bars::new(out))?)?
        }
        Command::Join(args) => print_prove(&commands::join_with(&args, &Bars::new(out))?, out)?,
        Command::Resume {
            checkpoint_dir,
            data,
            run,
        } => {
            let args = commands::ResumeArgs {
                checkpoint_dir,
                data,
                run: run.into_settings(),
            };
            let r = commands::resume_with(&args, &Bars::new(out))?;
            print_prove(&r, out)?;
        }
        Command::Verify {
            bundles,
            model,
            keys,
        } => {
            let args = commands::VerifyArgs {
                bundles,
                model,
                vk: keys.vk,
                vk_sha256: keys.vk_sha256,
            };
            let r = commands::verify::verify_command(&args)?;
            out.report(&r)?;
            return Ok(r.verdict().exit_status());
        }
        Command::Audit {
            bundle,
            train,
            eval,
            predict,
            preprocessing,
            commitment,
            report,
            data,
            opening,
            model,
            keys,
        } => {
            let Some(train) = bundle.or(train) else {
                anyhow::bail!("give the training bundle (BUNDLE or --train)");
            };
            let args = commands::ChainArgs {
                train,
                eval,
                predict,
                preprocessing,
                commitment,
                data,
                opening,
                model,
                vk: keys.vk,
                vk_sha256: keys.vk_sha256,
                report,
            };
            let r = commands::audit::audit_any(&args)?;
            if let Some(path) = &r.html {
                out.note(&format!("report written to {}", path.display()));
            }
            out.report(&r)?;
            if !r.passed {
                return Ok(exit::REJECTED);
            }
        }
        Command::ProveEval(args) => out.report(&commands::prove_eval(&args, &Bars::new(out))?)?,
        Command::ProvePreprocessing(args) => {
            out.report(&commands::prove_preprocessing(&args, &Bars::new(out))?)?
        }
        Command::ProvePredict(args) => {
            out.report(&commands::prove_predict(&args, &Bars::new(out))?)?
        }
        Command::Keys {
            bundle,
            recipe_of,
            out: path,
            force,
            data,
        } => {
            let source = match bundle.or(recipe_of) {
                Some(b) => commands::RecipeSource::Bundle(b),
                None => commands::RecipeSource::Data(data.to_args()),
            };
            out.note("deriving the verifier key from scratch (this takes as long as a setup)");
            out.report(&commands::keys(&source, &path, force)?)?
        }
        Command::Estimate { data } => out.report(&commands::estimate(&data.to_args())?)?,
        Command::Inspect { bundle } => out.report(&commands::verify::inspect_bundle(&bundle)?)?,
        Command::Evaluate { model, data, split } => {
            out.report(&commands::evaluate(&model, &data, split)?)?
        }
    }
    Ok(exit::OK)
}

fn print_prove(r: &commands::ProveReport, out: Output) -> anyhow::Result<()> {
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    out.report(r)
}

/// Set by the first Ctrl-C: the prover writes a checkpoint after the current
/// step and stops. A second Ctrl-C exits at once.
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let handler_flag = flag.clone();
        let installed = ctrlc::set_handler(move || {
            if handler_flag.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted again: exiting without a checkpoint");
                std::process::exit(exit::INTERRUPTED.into());
            }
            eprintln!(
                "\ninterrupted: writing a checkpoint after this step (Ctrl-C again to quit now)"
            );
        });
        if let Err(e) = installed {
            eprintln!("warning: Ctrl-C will not write a checkpoint: {e}");
        }
        flag
    })
    .clone()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(foldtrain::Error::Interrupted(m)) = e.downcast_ref::<foldtrain::Error>() {
                eprintln!("stopped: {m}");
                exit::INTERRUPTED
            } else {
                eprintln!("error: {e:#}");
                exit::ERROR
            }
        }
    })
}
