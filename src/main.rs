//! The `foldtrain` binary: parses arguments into validated settings, calls the
//! library and maps outcomes to exit codes (0 success, 1 proof rejected,
//! 2 usage, input or I/O error).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use foldtrain::commands::{self, DataArgs};
use foldtrain::fixed::{FixedFormat, Sigmoid};
use foldtrain::recipe::Hyper;

#[derive(Parser)]
#[command(
    name = "foldtrain",
    version,
    about = "Zero-knowledge proofs that a logistic-regression model was trained on committed private data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Commit to the training rows: a public commitment and a private opening.
    Commit {
        #[command(flatten)]
        data: DataFlags,
        /// Folder for commitment.json (public) and private/opening.json (0600).
        #[arg(long)]
        out: PathBuf,
        /// Replace existing public files of an earlier run (a private
        /// opening is never replaced).
        #[arg(long)]
        force: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Prove training end to end: commit, fold every step, compress, verify,
    /// write proof.bundle, model.json and private/opening.json.
    Prove {
        #[command(flatten)]
        data: DataFlags,
        /// Output folder (default: the dataset's name, in the working folder).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON object instead of text (the progress bar still goes
        /// to stderr when it is a terminal).
        #[arg(long)]
        json: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Write a checkpoint every N steps (default: every two minutes).
        #[arg(long, value_name = "N")]
        checkpoint_every: Option<usize>,
        /// Folder for checkpoints (default: OUT/private/checkpoints). Private: they
        /// hold the witness.
        #[arg(long, value_name = "DIR")]
        checkpoint_dir: Option<PathBuf>,
        /// Replace existing public files of an earlier run (a private
        /// opening is never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Continue an interrupted prove from its newest valid checkpoint.
    Resume {
        /// The checkpoint folder of the interrupted run.
        #[arg(long, value_name = "DIR")]
        checkpoint_dir: PathBuf,
        /// The CSV (default: the path recorded in the checkpoint).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Output folder (default: the dataset's name, in the working folder).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Write a checkpoint every N steps (default: every two minutes).
        #[arg(long, value_name = "N")]
        checkpoint_every: Option<usize>,
        /// Replace existing public files of an earlier run (a private
        /// opening is never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Verify a proof bundle: exit 0 accepted, 1 rejected, 2 usage or I/O error.
    Verify {
        /// A proof.bundle written by prove.
        bundle: PathBuf,
        /// Also check that this model.json holds exactly the statement's
        /// weights, bias and recipe (exit 1 if not).
        #[arg(long, value_name = "MODEL")]
        model: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify a bundle and report its provenance; with --data and --opening,
    /// also open the commitment and replay training to confirm the weights.
    /// Exit 0 only when everything checked holds, 1 otherwise.
    Audit {
        /// A proof.bundle written by prove.
        bundle: PathBuf,
        /// The training CSV (needs --opening).
        #[arg(long, requires = "opening")]
        data: Option<PathBuf>,
        /// The private/opening.json written by prove or commit (needs --data).
        #[arg(long, requires = "data")]
        opening: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// What a proof will cost: steps, constraints, and a time estimate from
    /// a short calibration on this machine.
    Estimate {
        #[command(flatten)]
        data: DataFlags,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a bundle's statement: recipe, commitment, weights, steps, digest.
    Inspect {
        /// A proof.bundle written by prove.
        bundle: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Accuracy of a saved model on a labelled CSV.
    Evaluate {
        /// A model.json written by train or prove.
        #[arg(long)]
        model: PathBuf,
        /// A CSV with the model's feature columns and a `label` column.
        #[arg(long)]
        data: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The dataset and the recipe flags shared by train, commit and prove.
#[derive(Args, Clone, Debug)]
struct DataFlags {
    /// CSV: a header, numeric feature columns, a last column `label` (0/1).
    /// Default: the shipped German credit dataset.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Passes over the training rows.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Mini-batch size (a multiple of 8).
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Mini-batches folded per Nova step; must divide the batches of an
    /// epoch (default: the largest divisor keeping a step within 256 rows).
    #[arg(long, value_name = "K")]
    batches_per_step: Option<usize>,
    /// Share of rows, in file order, that train; the rest test.
    #[arg(long, default_value_t = commands::DEFAULT_TRAIN_FRACTION)]
    train_fraction: f64,
    /// Sigmoid approximation: hard4 (slope 1/4, default) or clip3 (zkPoT's).
    #[arg(long, default_value = "hard4", value_parser = parse_sigmoid)]
    sigmoid: Sigmoid,
    /// Fractional bits of weights (the fixed-point scale 2^F).
    #[arg(long, default_value_t = FixedFormat::default().frac_bits)]
    frac_bits: u32,
    /// Fractional bits of features (their scale 2^Fx, at most --frac-bits).
    #[arg(long, default_value_t = FixedFormat::default().feature_frac_bits)]
    feature_frac_bits: u32,
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
                batch: self.batch,
                batches_per_step: self.batches_per_step,
                sigmoid: self.sigmoid,
                format: FixedFormat {
                    frac_bits: self.frac_bits,
                    feature_frac_bits: self.feature_frac_bits,
                    ..FixedFormat::default()
                },
            },
        }
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(
        || "n/a (no test rows)".into(),
        |a| format!("{:.2}%", a * 100.0),
    )
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Train { data, out, json } => {
            let (r, _) = commands::train(&data.to_args(), out.as_deref())?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{}: {} training rows, {} test rows, {} features",
                    r.data.display(),
                    r.train_rows,
                    r.test_rows,
                    r.recipe.features
                );
                println!("                 train      test");
                println!(
                    "fixed point   {:>8}  {:>8}",
                    pct(Some(r.train_accuracy)),
                    pct(r.test_accuracy)
                );
                println!(
                    "float (f64)   {:>8}  {:>8}",
                    pct(Some(r.float_train_accuracy)),
                    pct(r.float_test_accuracy)
                );
                if let Some(p) = r.model_path {
                    println!("model written to {}", p.display());
                }
            }
        }
        Command::Commit {
            data,
            out,
            force,
            json,
        } => {
            let r = commands::commit(&data.to_args(), &out, force)?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "commitment {} ({} rows x {} features)",
                    r.commitment, r.rows, r.features
                );
                println!("public:  {}", r.commitment_path.display());
                println!(
                    "private: {} (keep it secret: it opens the commitment)",
                    r.opening_path.display()
                );
            }
        }
        Command::Prove {
            data,
            out,
            json,
            quiet,
            checkpoint_every,
            checkpoint_dir,
            force,
        } => {
            let args = commands::ProveArgs {
                data: data.to_args(),
                out_dir: out,
                quiet,
                checkpoint_every,
                checkpoint_dir,
                interrupt: Some(interrupt_flag()),
                force,
            };
            if !json {
                eprintln!(
                    "proving training on {} (this takes minutes; Ctrl-C stops with a checkpoint)",
                    args.data.data.display()
                );
            }
            let r = commands::prove(&args)?;
            print_prove(&r, json)?;
        }
        Command::Resume {
            checkpoint_dir,
            data,
            out,
            json,
            quiet,
            checkpoint_every,
            force,
        } => {
            let args = commands::ResumeArgs {
                checkpoint_dir,
                data,
                out_dir: out,
                quiet,
                checkpoint_every,
                interrupt: Some(interrupt_flag()),
                force,
            };
            let r = commands::resume(&args)?;
            print_prove(&r, json)?;
        }
        Command::Verify {
            bundle,
            model,
            json,
        } => {
            let r = commands::verify(&bundle, model.as_deref())?;
            if json {
                print_json(&r)?;
            } else if let (true, Some(st)) = (r.accepted, &r.statement) {
                print_statement(st);
                if let Some(m) = &r.model {
                    println!(
                        "model        {} holds exactly these weights, bias and recipe",
                        m.display()
                    );
                }
                if let Some(t) = r.verify_s {
                    println!("SNARK check  {t:.2} s (the whole command took longer)");
                }
            } else {
                println!("rejected: {}", r.reason.as_deref().unwrap_or("unknown"));
            }
            if !json {
                print_folder(&r.folder);
            }
            if !r.accepted {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Audit {
            bundle,
            data,
            opening,
            json,
        } => {
            let r = commands::audit(&bundle, data.as_deref(), opening.as_deref())?;
            let yes_no = |v: Option<bool>| match v {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "not checked (give --data and --opening)",
            };
            if json {
                print_json(&r)?;
            } else {
                println!("bundle              {}", r.bundle.display());
                println!(
                    "proof verifies      {}",
                    if r.verified { "yes" } else { "NO" }
                );
                if let Some(reason) = &r.reason {
                    println!("                    {reason}");
                }
                println!("commitment opened   {}", yes_no(r.commitment_opened));
                println!("weights reproduced  {}", yes_no(r.weights_reproduced));
                for p in &r.problems {
                    println!("problem             {p}");
                }
                println!("recipe              {}", r.recipe.summary());
                println!("commitment          {}", r.commitment);
                println!("steps               {}", r.steps);
                println!("parameters digest   {}", r.params_digest);
                println!("weights sha256      {}", r.weights_sha256);
                if let Some(t) = r.verify_s {
                    println!("verification        {t:.2} s");
                }
            }
            if !r.passed() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Estimate { data, json } => {
            let r = commands::estimate(&data.to_args())?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{}: {} steps of {} constraints ({} in the step circuit)",
                    r.data.display(),
                    r.steps,
                    r.constraints_per_step,
                    r.step_constraints
                );
                for p in &r.breakdown {
                    println!("  {:>8}  {}", p.constraints, p.part);
                }
                println!(
                    "  {:>8}  Nova's recursion (augmentation {} + secondary circuit {})",
                    r.constraints_per_step - r.step_constraints,
                    r.primary_constraints - r.step_constraints,
                    r.secondary_constraints
                );
                println!(
                    "total {} constraints, {:.1} per sample-feature-epoch",
                    r.total_constraints, r.constraints_per_sample_feature_epoch
                );
                println!(
                    "time  setup {:.1} s (measured), folding ~{:.0} s ({:.2} s/step over {} calibration steps), compression ~{:.0} s, total ~{:.0} s",
                    r.setup_s,
                    r.estimated_prove_s,
                    r.step_s,
                    r.calibration_steps,
                    r.estimated_compress_s,
                    r.estimated_total_s
                );
            }
        }
        Command::Inspect { bundle, json } => {
            let r = commands::inspect(&bundle)?;
            if json {
                print_json(&r)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&r)?);
                eprintln!("(the statement as the bundle claims it, not verified: `foldtrain verify` checks it)");
            }
        }
        Command::Evaluate { model, data, json } => {
            let r = commands::evaluate(&model, &data)?;
            if json {
                print_json(&r)?;
            } else {
                println!("accuracy {:.2}% on {} rows", r.accuracy * 100.0, r.rows);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How many weights `verify` prints in full before summarizing the rest.
const WEIGHTS_SHOWN: usize = 8;

/// What an accepted proof establishes, in a few lines.
/// One line on the bundle's output folder, if it is one.
fn print_folder(folder: &foldtrain::output::Completeness) {
    use foldtrain::output::Completeness;
    match folder {
        Completeness::Complete => {
            println!("folder       complete (its manifest.json lists this bundle)")
        }
        Completeness::Incomplete(why) => println!("folder       INCOMPLETE: {why}"),
        Completeness::Standalone => {}
    }
}

fn print_statement(st: &commands::StatementSummary) {
    println!("accepted: the proof verifies against this statement");
    println!("recipe       {}", st.recipe.summary());
    println!(
        "commitment   {} (to the {} training rows)",
        st.commitment, st.rows
    );
    println!(
        "weights      {} values, sha256 {}",
        st.features, st.weights_sha256
    );
    let shown: Vec<String> = st
        .weights
        .iter()
        .take(WEIGHTS_SHOWN)
        .map(|w| format!("{w:.6}"))
        .collect();
    let more = st.features.saturating_sub(WEIGHTS_SHOWN);
    println!(
        "             [{}{}]",
        shown.join(", "),
        if more > 0 {
            format!(", ... {more} more (--json shows all)")
        } else {
            String::new()
        }
    );
    println!("bias         {:.6}", st.bias);
    println!("steps        {}", st.steps);
    println!("parameters   {}", st.params_digest);
}

fn print_prove(r: &commands::ProveReport, json: bool) -> anyhow::Result<()> {
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    if json {
        return print_json(r);
    }
    println!(
        "proved {} training steps on {} ({} folded in this run)",
        r.steps,
        r.data.display(),
        r.steps_folded_now
    );
    println!("commitment   {}", r.commitment);
    println!(
        "circuit      {} constraints per step ({} in the step circuit), {:.1} per sample-feature-epoch",
        r.constraints_per_step, r.step_constraints, r.constraints_per_sample_feature_epoch
    );
    println!(
        "time         setup {:.1} s, folding {:.1} s, compression {:.1} s, verification {:.2} s",
        r.setup_s, r.prove_s, r.compress_s, r.verify_s
    );
    println!(
        "proof        {} bytes (bundle {} bytes)",
        r.proof_bytes, r.bundle_bytes
    );
    println!("public       {}", r.bundle_path.display());
    println!("public       {}", r.model_path.display());
    println!(
        "private      {} (keep it secret: it opens the commitment)",
        r.opening_path.display()
    );
    if r.checkpoint_dir.is_dir() {
        println!(
            "private      {} (checkpoints hold the witness; delete them when done)",
            r.checkpoint_dir.display()
        );
    }
    Ok(())
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
                std::process::exit(130);
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
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(foldtrain::Error::Interrupted(m)) = e.downcast_ref::<foldtrain::Error>() {
                eprintln!("stopped: {m}");
                return ExitCode::from(130);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
