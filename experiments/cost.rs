//! Cost model: constraints per step broken down by part, and constraints per
//! sample-feature-epoch (recursion overhead included), at the default recipe
//! and as the feature count and batch size vary.
//!
//! `cargo run --release --example cost` writes `experiments/results/cost.csv`,
//! `cost_breakdown.csv` and `cost.png`. Counting the step circuit needs only
//! its shape; Nova's augmentation and secondary circuit are counted by
//! building the public parameters (a few seconds to a minute per point).

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use foldtrain::circuit::cost::breakdown;
use foldtrain::commands::DataArgs;
use foldtrain::ivc::params;
use foldtrain::recipe::{Hyper, Recipe};
use plotters::prelude::*;

/// One configuration's counts.
struct Point {
    label: String,
    recipe: Recipe,
    step: usize,
    primary: usize,
    secondary: usize,
}

impl Point {
    fn per_sample_feature_epoch(&self) -> f64 {
        let r = &self.recipe;
        ((self.primary + self.secondary) * r.total_steps()) as f64
            / (r.rows * r.features * r.epochs) as f64
    }
}

fn measure(label: String, recipe: Recipe) -> Result<Point, Box<dyn Error>> {
    let step = params::step_constraints(&recipe)?;
    let pp = params::setup(&recipe)?;
    let (primary, secondary) = pp.num_constraints();
    eprintln!("{label}: step {step}, primary {primary}, secondary {secondary}");
    Ok(Point {
        label,
        recipe,
        step,
        primary,
        secondary,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = Path::new("experiments/results");
    std::fs::create_dir_all(out)?;

    // The default recipe on the default dataset, with its breakdown.
    let german = DataArgs {
        data: "datasets/german_credit.csv".into(),
        train_fraction: foldtrain::dataset::TrainFraction::DEFAULT,
        hyper: Hyper::default(),
        group: None,
    }
    .load()?
    .recipe;
    let mut text = String::from("part,constraints_per_step,per_sample_feature_epoch\n");
    let default = measure("german_credit default".into(), german.clone())?;
    let cells = (german.rows * german.features * german.epochs) as f64;
    let steps = german.total_steps() as f64;
    for part in breakdown(&german)? {
        writeln!(
            text,
            "{},{},{:.3}",
            part.part,
            part.constraints,
            part.constraints as f64 * steps / cells
        )?;
    }
    let recursion = default.primary + default.secondary - default.step;
    writeln!(
        text,
        "Nova recursion (augmentation + secondary),{recursion},{:.3}",
        recursion as f64 * steps / cells
    )?;
    writeln!(
        text,
        "total,{},{:.3}",
        default.primary + default.secondary,
        default.per_sample_feature_epoch()
    )?;
    std::fs::write(out.join("cost_breakdown.csv"), &text)?;
    print!("{text}");

    // Sweeps on synthetic shapes: 1000 training rows, 10 epochs.
    let mut points = vec![default];
    for &features in &[8usize, 16, 48, 80] {
        for &batch in &[8usize, 32, 64] {
            let hyper = Hyper {
                batch,
                ..Hyper::default()
            };
            let recipe = Recipe::new(&hyper, features, 1000)?;
            points.push(measure(format!("d={features} B={batch}"), recipe)?);
        }
    }
    let mut csv = String::from(
        "config,features,batch,batches_per_step,rows,epochs,steps,step_constraints,primary,secondary,constraints_per_sample_feature_epoch\n",
    );
    for p in &points {
        let r = &p.recipe;
        writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{:.3}",
            p.label,
            r.features,
            r.batch,
            r.batches_per_step,
            r.rows,
            r.epochs,
            r.total_steps(),
            p.step,
            p.primary,
            p.secondary,
            p.per_sample_feature_epoch()
        )?;
    }
    std::fs::write(out.join("cost.csv"), &csv)?;
    print!("{csv}");

    // Plot: constraints per sample-feature-epoch against batch size.
    let png = out.join("cost.png");
    let root = BitMapBackend::new(&png, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Constraints per sample-feature-epoch (recursion included)",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0u32..72u32, 0f64..60f64)?;
    chart
        .configure_mesh()
        .x_desc("batch size (rows per mini-batch)")
        .y_desc("constraints / (rows x features x epochs)")
        .draw()?;
    let colors = [&BLUE, &RED, &GREEN, &MAGENTA];
    for (c, &features) in [8usize, 16, 48, 80].iter().enumerate() {
        let series: Vec<(u32, f64)> = points
            .iter()
            .filter(|p| p.label.starts_with(&format!("d={features} ")))
            .map(|p| (p.recipe.batch as u32, p.per_sample_feature_epoch()))
            .collect();
        let color = colors[c];
        chart
            .draw_series(LineSeries::new(series.clone(), color))?
            .label(format!("{features} features"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart.draw_series(
            series
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
        )?;
    }
    chart
        .draw_series(LineSeries::new(vec![(0, 20.0), (72, 20.0)], BLACK.mix(0.4)))?
        .label("target: 20")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    eprintln!("wrote {}", png.display());
    Ok(())
}
