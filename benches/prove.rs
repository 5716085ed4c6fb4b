//! Criterion benchmarks of the prover, verifier and native trainer, and of
//! Nova's own folding of a circuit of the same size as one training step
//! (the baseline the step's prove time is compared with in
//! experiments/README.md).
//!
//! `cargo bench --bench prove` (about ten minutes on 2 cores). Results land
//! in `target/criterion/<group>/<id>/new/estimates.json`:
//!
//! * `fold_step/b{8,32}_d{8,48}`: one folded step (`Job::fold_one`) on
//!   synthetic data, batch 8 or 32, 8 or 48 features, one mini-batch a step
//!   (the data is one batch, so an epoch is one step whatever the recipe's
//!   batches per step);
//! * `fold_step/german_credit_default`: one folded step of the default
//!   recipe on German credit, as `foldtrain prove` folds it;
//! * `nova_baseline/nontrivial_as_b32_d48`: one `RecursiveSNARK::prove_step`
//!   of Nova's `NonTrivialCircuit` (x^2 repeated) with as many constraints
//!   as the step circuit at batch 32 and 48 features;
//! * `compress/b8_d8_32rows`: compressing the folded proof of 1 epoch of
//!   32 synthetic rows, batch 8, 8 features;
//! * `verify/{held_key,cached_key,key_file,cold}`: checking that proof with
//!   the key in memory (the SNARK check alone), read from the key cache,
//!   read from a pinned `vk.bin` (`verify --vk`), and derived from nothing;
//! * `setup/warm_prover_b8_d8_32rows`: a prover's setup with its parameters
//!   cached (load, then Nova's keys);
//! * `train_fixed/german_credit`: native fixed-point training, default recipe.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use ndarray::{Array1, Array2};
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand_distr::StandardNormal;
use ndarray_rand::RandomExt;
use nova_snark::nova::{PublicParams, RecursiveSNARK};
use nova_snark::traits::circuit::NonTrivialCircuit;
use nova_snark::traits::snark::RelaxedR1CSSNARKTrait;

use foldtrain::circuit::State;
use foldtrain::commands::{DataArgs, DEFAULT_TRAIN_FRACTION};
use foldtrain::commitment::{CommittedRows, Opening};
use foldtrain::dataset::{Dataset, Prepared, TrainFraction};
use foldtrain::fixed::Scalar;
use foldtrain::ivc::keys::KeyFile;
use foldtrain::ivc::prover::Steps;
use foldtrain::ivc::{params, prover, Compressed, Params, E1, E2, S1, S2};
use foldtrain::proof::{ProofBundle, Statement, Verifier};
use foldtrain::recipe::{Hyper, Recipe};
use foldtrain::train;

/// Seed of the synthetic data.
const SEED: u64 = 20_240_607;
/// Steps folded before measuring: Nova's first steps are cheaper (their
/// witnesses hold many zeros).
const WARM_STEPS: usize = 2;
/// The circuit the baseline matches: batch 32, 48 features (German credit).
const BASELINE_SHAPE: (usize, usize) = (32, 48);

type Baseline = NonTrivialCircuit<Scalar>;

/// `rows` x `features` standard-normal features with labels from a fixed
/// random linear model plus noise (both classes present).
fn synthetic(rows: usize, features: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let x: Array2<f64> = Array2::random_using((rows, features), StandardNormal, &mut rng);
    let w: Array1<f64> = Array1::random_using(features, StandardNormal, &mut rng);
    let noise: Array1<f64> = Array1::random_using(rows, StandardNormal, &mut rng);
    let z = x.dot(&w) + noise * 0.5;
    Dataset {
        path: PathBuf::from("synthetic"),
        feature_names: (0..features).map(|j| format!("x{j}")).collect(),
        rows: x.rows().into_iter().map(|r| r.to_vec()).collect(),
        labels: z.iter().map(|&v| u8::from(v > 0.0)).collect(),
    }
}

/// A recipe, its prepared synthetic rows and a commitment to them.
struct Fixture {
    recipe: Arc<Recipe>,
    prepared: Prepared,
    opening: Opening,
}

impl Fixture {
    fn new(batch: usize, features: usize, rows: usize, epochs: usize) -> Self {
        let hyper = Hyper {
            batch,
            epochs,
            ..Hyper::default()
        };
        let data = synthetic(rows, features, SEED);
        let all = TrainFraction::new(1.0).expect("1 is a fraction");
        let prepared = Prepared::new(&data, all, &hyper.format).expect("prepare");
        let recipe =
            Recipe::new(&hyper, features, prepared.train_fixed.len()).expect("valid recipe");
        let opening = Opening::commit(
            CommittedRows::of(&prepared),
            &recipe.format,
            all,
            "synthetic".into(),
        );
        Fixture {
            recipe: Arc::new(recipe),
            prepared,
            opening,
        }
    }

    fn job(&self) -> prover::Job<'_> {
        prover::Job {
            recipe: self.recipe.clone(),
            data: &self.prepared.train_fixed,
            salt: self.opening.train.salt,
        }
    }

    fn initial(&self) -> State {
        State::initial(
            self.recipe.features,
            self.opening.commitment(),
            self.opening.test.commitment,
            None,
        )
    }
}

/// Prints the time and load average before a benchmark, so that figures
/// taken while other work ran on the machine can be told apart.
fn note_load(what: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    eprintln!(
        "{what}: starting at unix time {secs}, load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn slow_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    // One iteration per sample: a step takes a good fraction of a second.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group
}

/// (a) One folded step at batch 8/32 and 8/48 features.
fn fold_step(c: &mut Criterion) {
    let mut group = slow_group(c, "fold_step");
    for features in [8, 48] {
        for batch in [8, 32] {
            // One batch of rows: one mini-batch per step. Epochs only bound
            // `total_steps`, which `fold_one` does not consult.
            let fx = Fixture::new(batch, features, batch, 10);
            let pp = params::setup(&*fx.recipe).expect("setup");
            let (primary, secondary) = pp.num_constraints();
            eprintln!(
                "fold_step b{batch} d{features}: step circuit {} constraints, folded per step {} (primary {primary} + secondary {secondary})",
                params::step_constraints(&fx.recipe).expect("count"),
                primary + secondary
            );
            let job = fx.job();
            let mut progress = job.start(&pp, &fx.initial()).expect("first step");
            for _ in 0..WARM_STEPS {
                job.fold_one(&pp, &mut progress).expect("warm-up step");
            }
            note_load(&format!("fold_step/b{batch}_d{features}"));
            group.bench_function(format!("b{batch}_d{features}"), |b| {
                b.iter(|| job.fold_one(&pp, &mut progress).expect("fold"))
            });
        }
    }

    // The real job's step: German credit, default recipe.
    let loaded = german_credit();
    let recipe = Arc::new(loaded.recipe.clone());
    let opening = loaded.commit();
    let pp = params::setup(&*recipe).expect("setup");
    let (primary, secondary) = pp.num_constraints();
    eprintln!(
        "fold_step german_credit_default: {} steps, step circuit {} constraints, folded per step {} (primary {primary} + secondary {secondary})",
        recipe.total_steps(),
        params::step_constraints(&recipe).expect("count"),
        primary + secondary
    );
    let job = prover::Job {
        recipe: recipe.clone(),
        data: &loaded.prepared.train_fixed,
        salt: opening.train.salt,
    };
    let initial = State::initial(
        recipe.features,
        opening.commitment(),
        opening.test.commitment,
        None,
    );
    let mut progress = job.start(&pp, &initial).expect("first step");
    for _ in 0..WARM_STEPS {
        job.fold_one(&pp, &mut progress).expect("warm-up step");
    }
    note_load("fold_step/german_credit_default");
    group.bench_function("german_credit_default", |b| {
        b.iter(|| job.fold_one(&pp, &mut progress).expect("fold"))
    });
    group.finish();
}

/// German credit, loaded and prepared with the default recipe.
fn german_credit() -> foldtrain::commands::Loaded {
    DataArgs {
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/german_credit.csv"),
        train_fraction: DEFAULT_TRAIN_FRACTION,
        hyper: Hyper::default(),
        group: None,
    }
    .load()
    .expect("german_credit.csv")
}

/// (e) Nova folding `NonTrivialCircuit` with the step circuit's constraint
/// count at batch 32 / 48 features.
fn nova_baseline(c: &mut Criterion) {
    let (batch, features) = BASELINE_SHAPE;
    let fx = Fixture::new(batch, features, batch, 10);
    let n = params::step_constraints(&fx.recipe).expect("count");
    let circuit = Baseline::new(n);
    let pp = PublicParams::<E1, E2, Baseline>::setup(&circuit, &*S1::ck_floor(), &*S2::ck_floor())
        .expect("baseline setup");
    let (primary, secondary) = pp.num_constraints();
    eprintln!(
        "nova_baseline: NonTrivialCircuit of {n} constraints (the step circuit's at b{batch} d{features}), folded per step {} (primary {primary} + secondary {secondary})",
        primary + secondary
    );
    let z0 = [Scalar::from(2u64)];
    let mut rs = RecursiveSNARK::new(&pp, &circuit, &z0).expect("baseline first step");
    for _ in 0..=WARM_STEPS {
        rs.prove_step(&pp, &circuit).expect("baseline warm-up");
    }
    let mut group = slow_group(c, "nova_baseline");
    note_load("nova_baseline");
    group.bench_function(format!("nontrivial_as_b{batch}_d{features}"), |b| {
        b.iter(|| rs.prove_step(&pp, &circuit).expect("baseline step"))
    });
    group.finish();
}

/// Folds every step of a fixture's recipe.
fn fold_all(fx: &Fixture, pp: &Params) -> prover::Progress {
    let job = fx.job();
    let mut progress = job.start(pp, &fx.initial()).expect("first step");
    while progress.done < fx.recipe.total_steps() {
        job.fold_one(pp, &mut progress).expect("fold");
    }
    progress
}

/// (b) compression and (c) verification of a small recipe: 32 rows, batch 8,
/// 8 features, 1 epoch.
fn compress_and_verify(c: &mut Criterion) {
    let fx = Fixture::new(8, 8, 32, 1);
    let pp = params::setup(&*fx.recipe).expect("setup");
    let (pk, vk) = Compressed::setup(&pp).expect("keys");
    let progress = fold_all(&fx, &pp);
    let z0 = fx.initial().to_z(&fx.recipe).expect("z0");

    eprintln!(
        "compress b8_d8_32rows: {} folded steps, step circuit {} constraints",
        progress.done,
        params::step_constraints(&fx.recipe).expect("count")
    );
    let mut group = slow_group(c, "compress");
    note_load("compress");
    group.bench_function("b8_d8_32rows", |b| {
        b.iter(|| prover::compress(&pp, &pk, &progress, &z0).expect("compress"))
    });
    group.finish();

    let digest = params::digest_hex(&pp);
    let bundle = ProofBundle {
        statement: Statement {
            recipe: (*fx.recipe).clone(),
            commitment: fx.opening.commitment(),
            test_commitment: fx.opening.test.commitment,
            initial: train::Weights::zero(fx.recipe.features),
            model: foldtrain::proof::PublishedModel::Weights(progress.state.weights.clone()),
            steps: progress.done,
            params_digest: digest.clone(),
        },
        snark: prover::compress(&pp, &pk, &progress, &z0).expect("compress"),
    };
    // Check what a verifier receives: the bundle's bytes.
    let bytes = bundle.to_bytes().expect("encode");
    eprintln!("compress b8_d8_32rows: bundle {} bytes", bytes.len());
    let bundle = ProofBundle::from_bytes(&bytes).expect("decode");

    let mut group = c.benchmark_group("verify");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let key = KeyFile::new(&*fx.recipe, &pp, vk);
    let dir = tempfile::tempdir().expect("temporary folder");
    let key_path = dir.path().join("vk.bin");
    let key_sha = key.write(&key_path).expect("key file");
    let cache = params::Cache::at(dir.path().join("cache"));
    cache
        .store_key(&*fx.recipe, &key.to_bytes().expect("encode key"))
        .expect("cache the key");
    // The parameter cache a warm prover setup reads.
    cache.store(&*fx.recipe, &pp).expect("cache the parameters");
    drop((pp, pk));

    let mut held = Verifier::primed(key);
    note_load("verify/held_key");
    group.bench_function("held_key", |b| {
        b.iter(|| held.verify(black_box(&bundle)).expect("accepted"))
    });
    group.sampling_mode(SamplingMode::Flat);
    note_load("verify/cached_key");
    group.bench_function("cached_key", |b| {
        b.iter(|| {
            let mut v = Verifier::with_cache(Some(params::Cache::at(dir.path().join("cache"))));
            v.verify(black_box(&bundle)).expect("accepted")
        })
    });
    note_load("verify/key_file");
    group.bench_function("key_file", |b| {
        b.iter(|| {
            let mut v = Verifier::with_key_file(&key_path, &key_sha).expect("key file");
            v.verify(black_box(&bundle)).expect("accepted")
        })
    });
    note_load("verify/cold");
    group.bench_function("cold", |b| {
        b.iter(|| {
            Verifier::with_cache(None)
                .verify(black_box(&bundle))
                .expect("accepted")
        })
    });
    group.finish();

    let mut group = slow_group(c, "setup");
    note_load("setup/warm_prover");
    group.bench_function("warm_prover_b8_d8_32rows", |b| {
        b.iter(|| {
            let pp = params::cached_setup_in(Some(&cache), &*fx.recipe).expect("cached");
            Compressed::setup(&pp).expect("keys")
        })
    });
    group.finish();
}

/// (d) Native fixed-point training, default recipe, on German credit.
fn train_native(c: &mut Criterion) {
    let loaded = german_credit();
    let mut group = c.benchmark_group("train_fixed");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    note_load("train_fixed/german_credit");
    group.bench_function("german_credit", |b| {
        b.iter(|| {
            train::train_fixed(&loaded.recipe, black_box(&loaded.prepared.train_fixed))
                .expect("train")
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    fold_step,
    nova_baseline,
    compress_and_verify,
    train_native
);
criterion_main!(benches);
