//! The figures' common parts, drawn with plotters.

use std::path::Path;

use anyhow::{Context, Result};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

/// A white figure of `size` pixels, to be written to `path`.
pub fn figure(path: &Path, size: (u32, u32)) -> Result<DrawingArea<BitMapBackend<'_>, Shift>> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// Draws the series labels of `chart` in a bordered, nearly opaque white box
/// at `position`.
pub fn legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()?;
    Ok(())
}

/// Writes the figure drawn on `root` to `path`.
pub fn save(root: &DrawingArea<BitMapBackend<'_>, Shift>, path: &Path) -> Result<()> {
    root.present()
        .with_context(|| format!("writing {}", path.display()))
}
