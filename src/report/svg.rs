//! The report's charts as inline SVG: the confusion matrix and the weights.
//! Every number reaches an attribute through [`coord`], so a non-finite
//! value never makes an invalid document.

use super::{escape, number, EvaluationView, WeightsView, MAX_NAME_CHARS};

/// A 2x2 grid: rows actual 1 / actual 0, columns predicted 1 / predicted 0,
/// each cell shaded by its share of the largest count.
pub(super) fn confusion_svg(e: &EvaluationView) -> String {
    const LEFT: f64 = 96.0;
    const TOP: f64 = 56.0;
    const CELL_W: f64 = 170.0;
    const CELL_H: f64 = 120.0;
    let cells = [
        (0, 0, "TP", "true positive", e.tp),
        (1, 0, "FN", "false negative", e.fn_),
        (0, 1, "FP", "false positive", e.fp),
        (1, 1, "TN", "true negative", e.tn),
    ];
    let max = cells.iter().map(|c| c.4).max().unwrap_or(0).max(1) as f64;
    let (w, h) = (LEFT + 2.0 * CELL_W + 4.0, TOP + 2.0 * CELL_H + 4.0);
    let mut svg = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-label=\"Confusion matrix\">\n\
         <text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"700\">Predicted</text>\n\
         <text x=\"18\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"700\" \
         transform=\"rotate(-90 18 {})\">Actual</text>\n",
        LEFT + CELL_W,
        TOP + CELL_H,
        TOP + CELL_H
    );
    for (i, label) in ["1", "0"].iter().enumerate() {
        let offset = i as f64;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"44\" text-anchor=\"middle\" font-size=\"13\">predicted {label}</text>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">actual {label}</text>\n",
            LEFT + (offset + 0.5) * CELL_W,
            LEFT - 10.0,
            TOP + (offset + 0.5) * CELL_H + 4.0
        ));
    }
    for (col, row, short, long, count) in cells {
        let (x, y) = (
            LEFT + f64::from(col) * CELL_W,
            TOP + f64::from(row) * CELL_H,
        );
        let (fill, ink) = cell_colours(count as f64 / max);
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{CELL_W}\" height=\"{CELL_H}\" fill=\"{fill}\" \
             stroke=\"#ffffff\" stroke-width=\"3\"/>\n\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"700\" \
             fill=\"{ink}\">{short} &#183; {long}</text>\n\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"34\" font-weight=\"700\" \
             fill=\"{ink}\">{count}</text>\n",
            y + 36.0,
            y + 84.0,
            cx = x + CELL_W / 2.0
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// A cell's fill, a blue from near white (`share` 0) to dark (`share` 1),
/// and its ink: white from the share (0.7) where white contrasts more.
pub(super) fn cell_colours(share: f64) -> (String, &'static str) {
    let t = finite_or_zero(share).clamp(0.0, 1.0);
    let [r, g, b] = [(238.0, 24.0), (243.0, 74.0), (248.0, 128.0)]
        .map(|(from, to): (f64, f64)| (from + (to - from) * t).round() as u8);
    let ink = if t > 0.7 { "#ffffff" } else { "#1b1f24" };
    (format!("#{r:02x}{g:02x}{b:02x}"), ink)
}

/// Geometry of the weight chart, in SVG user units.
pub(super) struct BarChart {
    /// x of the zero axis.
    zero: f64,
    /// Units per unit of weight.
    scale: f64,
}

impl BarChart {
    const WIDTH: f64 = 1036.0;
    const NAME_W: f64 = 270.0;
    const VALUE_W: f64 = 110.0;
    const TOP: f64 = 30.0;
    const ROW_H: f64 = 22.0;
    const BAR_H: f64 = 14.0;
    const BIAS_GAP: f64 = 12.0;

    /// Half the plot, the length of the largest |value|'s bar.
    const HALF: f64 = (Self::WIDTH - Self::NAME_W - Self::VALUE_W - 20.0) / 2.0;

    fn new(largest: f64) -> Self {
        BarChart {
            zero: Self::NAME_W + 10.0 + Self::HALF,
            scale: finite_or_zero(Self::HALF / largest),
        }
    }

    /// Tick labels and dashed grid lines at 0, ±half and ±`largest`, down to
    /// `bottom`, and the heading of the value column.
    fn axis(&self, largest: f64, bottom: f64) -> String {
        let mut svg = String::new();
        let fractions: &[f64] = if largest > 0.0 {
            &[-1.0, -0.5, 0.0, 0.5, 1.0]
        } else {
            &[0.0]
        };
        for &fraction in fractions {
            let x = coord(self.zero + fraction * Self::HALF);
            let label = match fraction {
                0.0 => "0".to_string(),
                f if f > 0.0 => format!("+{}", number(f * largest, 4)),
                f => number(f * largest, 4),
            };
            svg.push_str(&format!(
                "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#c4cbd3\" \
                 stroke-dasharray=\"2 3\"/>\n\
                 <text x=\"{x}\" y=\"16\" text-anchor=\"middle\" fill=\"#57606a\">{label}</text>\n",
                coord(Self::TOP - 6.0),
                coord(bottom)
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"16\" text-anchor=\"end\" font-weight=\"700\">value</text>\n",
            coord(Self::WIDTH - 6.0)
        ));
        svg
    }

    /// One labelled bar; a non-finite value draws no bar and prints "n/a".
    fn bar(&self, name: &str, value: f64, y: f64, bias: bool) -> String {
        let length = finite_or_zero(value) * self.scale;
        let fill = match (bias, length >= 0.0) {
            (true, _) => "#6e7781",
            (false, true) => "#2f6fb3",
            (false, false) => "#d4731f",
        };
        let text_y = coord(y + 15.5);
        let weight = if bias { " font-weight=\"700\"" } else { "" };
        format!(
            "<g><title>{}</title>\
             <text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\"{weight}>{}</text>\
             <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" class=\"mono\">{}</text></g>\n",
            escape(&format!("{name} = {}", number(value, 6))),
            coord(Self::NAME_W - 8.0),
            escape(&shorten(name)),
            coord(self.zero + length.min(0.0)),
            coord(y + (Self::ROW_H - Self::BAR_H) / 2.0),
            coord(length.abs()),
            coord(Self::BAR_H),
            coord(Self::WIDTH - 6.0),
            number(value, 4)
        )
    }
}

/// One bar a feature, then a separated bar for the bias, scaled so that the
/// largest |value| spans half the plot; the chart grows with the count.
pub(super) fn weights_svg(w: &WeightsView, largest: f64) -> String {
    let chart = BarChart::new(largest);
    let (width, row_h) = (BarChart::WIDTH, BarChart::ROW_H);
    let row_y = |i: usize| BarChart::TOP + i as f64 * row_h;
    let bias_y = row_y(w.weights.len()) + BarChart::BIAS_GAP;
    let bottom = bias_y + row_h;
    let height = coord(bottom + 8.0);
    let mut svg = format!(
        "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-label=\"Weights\" font-size=\"12.5\">\n"
    );
    for i in (0..w.weights.len()).step_by(2) {
        svg.push_str(&format!(
            "<rect x=\"0\" y=\"{}\" width=\"{width}\" height=\"{row_h}\" fill=\"#f3f5f7\"/>\n",
            coord(row_y(i))
        ));
    }
    svg.push_str(&chart.axis(largest, bottom));
    for (i, weight) in w.weights.iter().enumerate() {
        let name = w
            .names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("feature {}", i + 1));
        svg.push_str(&chart.bar(&name, *weight, row_y(i), false));
    }
    svg.push_str(&format!(
        "<line x1=\"0\" x2=\"{width}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#8c959f\" \
         stroke-dasharray=\"4 3\"/>\n",
        y = coord(bias_y - BarChart::BIAS_GAP / 2.0)
    ));
    svg.push_str(&chart.bar("bias (intercept)", w.bias, bias_y, true));
    svg.push_str(&format!(
        "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#1b1f24\" stroke-width=\"1.2\"/>\n</svg>\n",
        coord(BarChart::TOP - 6.0),
        coord(bottom),
        x = coord(chart.zero)
    ));
    svg
}

/// `name`, cut to [`MAX_NAME_CHARS`] characters with an ellipsis.
pub(super) fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        name.to_string()
    } else {
        let head: String = name.chars().take(MAX_NAME_CHARS - 1).collect();
        format!("{head}\u{2026}")
    }
}

/// An SVG coordinate with one decimal; callers pass finite values, and a
/// non-finite one becomes 0 rather than an invalid attribute.
pub(super) fn coord(value: f64) -> String {
    number(finite_or_zero(value), 1)
}

/// `value`, or 0 when it is not finite.
pub(super) fn finite_or_zero(value: f64) -> f64 {
    if value.is_finite() {
        value
    } else {
        0.0
    }
}
