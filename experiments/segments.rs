//! A training run proven in segments, on this machine: the default job
//! (german_credit, default recipe) proven whole (the training circuit) and
//! in 1, 2 and 4 segments (the segment circuit), the segments of a run
//! proven at the same time as threads of this process (the way separate
//! workers would, sharing this machine's 2 cores), then the segmented
//! bundle verified.
//!
//! `cargo run --release --example segments` (about 6 minutes on 2 cores)
//! writes `experiments/results/segments.csv` and prints a markdown table.
//! Times are phases measured in-process (folding and compression of every
//! segment, wall clock from the first segment's start to the last one's
//! end), not a command's wall clock: setup is measured apart, once. The
//! load average is shown with each row.

#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use foldtrain::circuit::State;
use foldtrain::commands::{self, DataArgs};
use foldtrain::ivc::prover::{self, Job, Keys, Silent, Start, Steps};
use foldtrain::proof::Verifier;
use foldtrain::recipe::Hyper;
use foldtrain::segment::{self, Cuts, Secrets, SegmentJob, SegmentSpec};

use common::{loadavg, Session};

fn main() -> Result<()> {
    let session = Session::start()?;
    let args = DataArgs {
        data: commands::default_dataset(),
        train_fraction: Default::default(),
        hyper: Hyper::default(),
        group: None,
    };
    let loaded = args.load()?;
    let opening = loaded.commit();
    let recipe = Arc::new(loaded.recipe.clone());
    let data = &loaded.prepared.train_fixed;
    let salt = opening.train.salt;
    let (c, c_test) = (opening.commitment(), opening.test.commitment);
    let mut table = String::from(
        "| proof | segments | steps each | setup s | fold+compress wall s | slowest segment s | \
         verify (SNARK checks) s | bundle bytes | load |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut csv =
        String::from("proof,segments,setup_s,wall_s,slowest_s,verify_s,bundle_bytes,load\n");

    // The whole run with the training circuit: the baseline.
    let start = Instant::now();
    let keys = Keys::setup_in(None, &*recipe)?;
    let setup = start.elapsed().as_secs_f64();
    let job = Job {
        recipe: recipe.clone(),
        data,
        salt,
    };
    let initial = State::initial(recipe.features, c, c_test, None);
    let z0 = initial.to_z(&recipe)?;
    let start = Instant::now();
    let done = job.fold(&keys.pp, Start::Fresh(initial), None, &Silent)?;
    let snark = prover::compress(&keys.pp, &keys.pk, &done, &z0)?;
    let whole = start.elapsed().as_secs_f64();
    let start = Instant::now();
    snark.verify(&keys.vk, done.done, &z0)?;
    let verify = start.elapsed().as_secs_f64();
    let bytes = bincode::serde::encode_to_vec(&snark, bincode::config::standard())?.len();
    let load = loadavg();
    writeln!(
        table,
        "| whole | 1 | {} | {setup:.1} | {whole:.1} | {whole:.1} | {verify:.2} | {bytes} (proof) | {load} |",
        done.done
    )?;
    writeln!(
        csv,
        "whole,1,{setup:.2},{whole:.2},{whole:.2},{verify:.3},{bytes},{load}"
    )?;
    drop(keys);

    let spec = SegmentSpec {
        recipe: (*recipe).clone(),
    };
    let start = Instant::now();
    let keys = Keys::setup_in(None, &spec)?;
    let setup = start.elapsed().as_secs_f64();
    let digest = foldtrain::ivc::params::digest_hex(&keys.pp);
    let counts: &[usize] = if session.quick { &[2] } else { &[1, 2, 4] };
    for &k in counts {
        let cuts = Cuts::balanced(recipe.total_steps(), k)?;
        let secrets = Secrets::random(k, None);
        let start = Instant::now();
        let results: Vec<Result<(segment::SegmentProof, f64, _)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..k)
                .map(|index| {
                    let (cuts, secrets, keys, recipe) = (&cuts, &secrets, &keys, recipe.clone());
                    s.spawn(move || {
                        let started = Instant::now();
                        let job = SegmentJob {
                            job: Job { recipe, data, salt },
                            commitment: c,
                            test_commitment: c_test,
                            cuts,
                            secrets,
                            index,
                        };
                        let (proof, end) = job.prove(&keys.pp, &keys.pk, &Silent)?;
                        Ok((proof, started.elapsed().as_secs_f64(), end))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a segment's thread panicked"))
                .collect()
        });
        let wall = start.elapsed().as_secs_f64();
        let mut proofs = Vec::new();
        let mut slowest: f64 = 0.0;
        let mut last = None;
        for r in results {
            let (proof, secs, end) = r?;
            slowest = slowest.max(secs);
            if proof.index + 1 == k {
                last = Some(end);
            }
            proofs.push(proof);
        }
        let last = last.expect("the last segment was proven");
        let bundle = segment::join(
            &spec,
            [c, c_test],
            &cuts,
            &secrets,
            &last.state.weights,
            proofs,
            digest.clone(),
        )?;
        let bytes = bundle.to_bytes()?.len();
        let key = foldtrain::ivc::keys::KeyFile::from_params(&spec, &keys.pp)?;
        let verified = bundle.verify_with(&mut Verifier::primed(key))?;
        let load = loadavg();
        let each: Vec<String> = (0..k)
            .filter_map(|i| cuts.range(i).map(|r| r.1.to_string()))
            .collect();
        writeln!(
            table,
            "| segmented | {k} | {} | {setup:.1} | {wall:.1} | {slowest:.1} | {:.2} | {bytes} | {load} |",
            each.join("/"),
            verified.verify_s
        )?;
        writeln!(
            csv,
            "segmented,{k},{setup:.2},{wall:.2},{slowest:.2},{:.3},{bytes},{load}",
            verified.verify_s
        )?;
        assert_eq!(
            last.state.weights, done.state.weights,
            "segmented weights differ"
        );
        println!("{k} segments: {wall:.1} s, the same weights as the whole run");
    }
    let path = session.result("segments", "csv");
    std::fs::write(&path, &csv)?;
    println!("{table}");
    println!("written {}", path.display());
    Ok(())
}
