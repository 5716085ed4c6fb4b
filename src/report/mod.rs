//! The audit report: one self-contained HTML page for a regulator or auditor.
//!
//! `foldtrain audit` verifies a chain of proof bundles (training, and
//! optionally evaluation and predictions) and the links between them; this
//! module renders what it found, from plain data, as a single HTML5
//! document: a verdict banner, a summary of the statements and link checks,
//! each statement's public fields with what its proof does and does not
//! establish, and, when present, the confusion matrix, the weights and the
//! predictions, then the caveats that no proof covers.
//!
//! The page is self-contained: CSS is inline, charts are inline SVG, there
//! is no script and no external resource (no font, no image, no URL), and a
//! Content-Security-Policy forbids loading any. Every string taken from the
//! data goes through [`escape`], and every number through a formatter that
//! writes `n/a` for a non-finite value, so untrusted names and paths show as
//! text and NaN never reaches an SVG attribute.

mod chain;
mod svg;

use svg::{confusion_svg, weights_svg};

/// Most prediction rows the report lists; the rest are counted, not shown.
const MAX_PREDICTION_ROWS: usize = 200;

/// Longest feature name, in characters, the weight chart prints in full.
const MAX_NAME_CHARS: usize = 34;

/// The inline style sheet: system fonts, readable at 1200 px, printable.
const STYLE: &str = "
:root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;
--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#b42318;--bad-bg:#ffebe9}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;line-height:1.45;
font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:20px;margin:0 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
section{margin-top:36px}
.meta,.muted{color:var(--muted)}
.meta{margin:0 0 16px}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;font-size:13.5px}
.wrap{word-break:break-all;overflow-wrap:anywhere}
.verdict{display:flex;align-items:center;gap:20px;padding:18px 24px;border-radius:8px;color:#fff}
.verdict.pass{background:var(--ok)}
.verdict.fail{background:var(--bad)}
.verdict-label{font-size:34px;font-weight:800;letter-spacing:.06em}
.verdict-text{font-size:16px}
.verdict-text p{margin:2px 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:baseline;padding:6px 10px;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
tr.bad td{background:var(--bad-bg)}
table.fields th{width:230px;font-weight:600}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:13px;font-weight:700;white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok)}
.badge.bad{background:var(--bad);color:#fff}
.statement h2 .badge{margin-left:10px;vertical-align:middle}
.kind{margin:-4px 0 10px;font-weight:600;color:var(--muted)}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:28px}
ul{margin:4px 0;padding-left:22px}
li{margin:3px 0}
.eval{display:flex;gap:32px;align-items:flex-start;flex-wrap:wrap}
.eval table{width:auto;min-width:360px}
table.numbers{width:auto;min-width:560px}
table.numbers td,table.numbers th{text-align:right;font-variant-numeric:tabular-nums}
table.links th:first-child{width:30%}
table.links th:nth-child(2){width:110px}
.caution{margin-top:36px;padding:12px 18px;border-left:6px solid var(--bad);background:var(--bad-bg)}
svg{max-width:100%;height:auto;font-family:inherit}
.note{font-size:13px;color:var(--muted);margin:8px 0 0}
footer{margin-top:48px;padding-top:10px;border-top:1px solid var(--line);font-size:13px;color:var(--muted)}
@media print{body{font-size:11pt}main{max-width:none;padding:0}
.verdict,.badge,tr.bad td,svg{-webkit-print-color-adjust:exact;print-color-adjust:exact}
tr,.statement .cols,.eval{break-inside:avoid}}
";

/// Everything the audit found, as plain data for [`render`].
pub struct AuditReport {
    /// Page title, e.g. "foldtrain audit".
    pub title: String,
    /// When the audit ran, e.g. "2026-12-03 15:04 UTC".
    pub generated: String,
    /// The tool that ran it, e.g. "foldtrain 0.1.0".
    pub tool_version: String,
    /// Whether every verification and every link check passed.
    pub passed: bool,
    /// One section per proof bundle, in chain order.
    pub statements: Vec<StatementSection>,
    /// The checks that tie the bundles together.
    pub links: Vec<LinkCheck>,
    /// The proven confusion matrix, when an evaluation bundle was given.
    pub evaluation: Option<EvaluationView>,
    /// The trained weights, only when the statement makes them public.
    pub weights: Option<WeightsView>,
    /// The proven predictions, when a predictions bundle was given.
    pub predictions: Option<PredictionsView>,
    /// What none of the proofs establishes.
    pub caveats: Vec<String>,
}

/// One verified (or rejected) proof bundle and its public statement.
pub struct StatementSection {
    /// "Training", "Evaluation" or "Predictions".
    pub role: String,
    /// The bundle's path as given on the command line.
    pub file: String,
    /// What kind of statement it is, e.g. "training, committed weights (C_W)".
    pub kind: String,
    /// Whether the proof verified.
    pub verified: bool,
    /// How it verified, or why it was rejected.
    pub verdict: String,
    /// The statement's public fields: name, value.
    pub fields: Vec<(String, String)>,
    /// What this proof establishes.
    pub establishes: Vec<String>,
    /// What it does not establish, and what it reveals.
    pub does_not: Vec<String>,
}

/// One check that links two bundles, e.g. that they share a commitment.
pub struct LinkCheck {
    /// What is checked.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// The values compared, or why the link is broken.
    pub detail: String,
}

/// A proven confusion matrix.
pub struct EvaluationView {
    /// The split evaluated, e.g. "test".
    pub split: String,
    /// The decision rule, e.g. "logit z >= 0 (probability >= 0.5)".
    pub threshold: String,
    /// True positives: actual 1, predicted 1.
    pub tp: u64,
    /// False positives: actual 0, predicted 1.
    pub fp: u64,
    /// True negatives: actual 0, predicted 0.
    pub tn: u64,
    /// False negatives: actual 1, predicted 0.
    pub fn_: u64,
}

/// Public weights of the trained model.
pub struct WeightsView {
    /// Feature names, one per weight.
    pub names: Vec<String>,
    /// One weight per feature.
    pub weights: Vec<f64>,
    /// The bias (intercept).
    pub bias: f64,
}

/// Proven predictions, one row per input row.
pub struct PredictionsView {
    /// The predictions, in input order.
    pub rows: Vec<PredictionRow>,
}

/// One proven prediction.
pub struct PredictionRow {
    /// The input row's index.
    pub index: usize,
    /// The logit z = w·x + b (`None` with committed weights: the
    /// statement states the decision only).
    pub logit: Option<f64>,
    /// The probability sigmoid(z), when the logit is stated.
    pub probability: Option<f64>,
    /// The decision: true for class 1.
    pub decision: bool,
}

/// Renders the whole report as one HTML5 document.
pub fn render(report: &AuditReport) -> String {
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(&format!("<title>{}</title>\n", escape(&report.title)));
    html.push_str(&format!(
        "<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    ));
    html.push_str(&header(report));
    html.push_str(&summary(report));
    for statement in &report.statements {
        html.push_str(&statement_section(statement));
    }
    let has_figures =
        report.evaluation.is_some() || report.weights.is_some() || report.predictions.is_some();
    if has_figures && !overall_pass(report) {
        html.push_str(
            "<div class=\"caution\" role=\"note\"><strong>The audit failed.</strong> The \
             figures below are shown as the bundles state them; a rejected proof or a broken \
             link means they are not established.</div>\n",
        );
    }
    if let Some(evaluation) = &report.evaluation {
        html.push_str(&evaluation_section(evaluation));
    }
    if let Some(weights) = &report.weights {
        html.push_str(&weights_section(weights));
    }
    if let Some(predictions) = &report.predictions {
        html.push_str(&predictions_section(predictions));
    }
    html.push_str(&full_values(report));
    if !report.caveats.is_empty() {
        html.push_str(
            "<section id=\"caveats\">\n<h2>Caveats: what no proof here establishes</h2>\n",
        );
        html.push_str(&list(&report.caveats));
        html.push_str("</section>\n");
    }
    html.push_str(&format!(
        "<footer>Generated {} by {}. This report is self-contained: \
         it runs no script and loads no external resource.</footer>\n",
        escape(&report.generated),
        escape(&report.tool_version)
    ));
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

/// HTML-escapes `&`, `<`, `>`, `"` and `'`, for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Hex runs this long or longer (hashes, commitments) are shown shortened.
const LONG_HEX: usize = 40;
/// Hex digits a shortened value keeps.
const SHORT_HEX: usize = 12;

/// [`escape`], with each hash or commitment (a run of at least
/// [`LONG_HEX`] hex digits) shortened to its first [`SHORT_HEX`] digits and
/// an ellipsis; the full value is on hover (`title`) and in the page's
/// "Full values" appendix.
pub fn escape_hashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        out.push_str(&escape(&rest[..start]));
        let run = &rest[start..];
        let len = run
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(run.len());
        let (hex, after) = run.split_at(len);
        if hex.len() >= LONG_HEX {
            out.push_str(&format!(
                "<abbr class=\"hash\" title=\"{hex}\">{}&hellip;</abbr>",
                &hex[..SHORT_HEX]
            ));
        } else {
            out.push_str(hex);
        }
        rest = after;
    }
    out.push_str(&escape(rest));
    out
}

/// The hashes and commitments of every statement in full, for a printed
/// page (where hovering shows nothing); empty when there is none.
fn full_values(report: &AuditReport) -> String {
    let rows: Vec<String> = (report.statements.iter())
        .flat_map(|s| s.fields.iter().map(move |f| (s, f)))
        .filter(|(_, (_, value))| {
            value
                .split(|c: char| !c.is_ascii_hexdigit())
                .any(|w| w.len() >= LONG_HEX)
        })
        .map(|(s, (name, value))| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"mono wrap\">{}</td></tr>\n",
                escape(&s.role),
                escape(name),
                escape(value)
            )
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "<section id=\"full-values\">\n<h2>Full values</h2>\n<p class=\"note\">The hashes and \
         commitments above, shortened there, in full.</p>\n{}</section>\n",
        table("fields", &["Statement", "Field", "Value"], &rows, "")
    )
}

/// Whether the page may say PASSED: the caller's verdict, and nothing in the
/// data contradicting it.
fn overall_pass(report: &AuditReport) -> bool {
    report.passed
        && report.statements.iter().all(|s| s.verified)
        && report.links.iter().all(|l| l.ok)
}

/// Title, generation line and the verdict banner, which names each failure.
fn header(report: &AuditReport) -> String {
    let pass = overall_pass(report);
    let rejected: Vec<String> = report
        .statements
        .iter()
        .filter(|s| !s.verified)
        .map(|s| escape(&s.role))
        .collect();
    let broken: Vec<String> = report
        .links
        .iter()
        .filter(|l| !l.ok)
        .map(|l| escape(&l.name))
        .collect();
    let (statements, links) = (report.statements.len(), report.links.len());
    let mut lines = vec![format!(
        "Statements verified: {} of {statements}. Link checks passed: {} of {links}.",
        statements - rejected.len(),
        links - broken.len()
    )];
    if !rejected.is_empty() {
        lines.push(format!(
            "<strong>Rejected:</strong> {}.",
            rejected.join(", ")
        ));
    }
    if !broken.is_empty() {
        lines.push(format!(
            "<strong>Broken links:</strong> {}.",
            broken.join(", ")
        ));
    }
    if !pass && rejected.is_empty() && broken.is_empty() {
        lines.push("The audit did not pass.".to_string());
    }
    let (class, label) = if pass {
        ("pass", "PASSED")
    } else {
        ("fail", "FAILED")
    };
    format!(
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">Generated {} &middot; {}</p>\n\
         <div class=\"verdict {class}\" role=\"status\">\
         <span class=\"verdict-label\">{label}</span>\
         <div class=\"verdict-text\"><p>{}</p></div></div>\n</header>\n",
        escape(&report.title),
        escape(&report.generated),
        escape(&report.tool_version),
        lines.join("</p><p>")
    )
}

/// The statements and link checks, one table each.
fn summary(report: &AuditReport) -> String {
    let statements: Vec<String> = report
        .statements
        .iter()
        .map(|s| {
            format!(
                "<tr{}><td>{}</td><td>{}</td><td class=\"mono wrap\">{}</td><td>{}</td></tr>\n",
                row_class(s.verified),
                escape(&s.role),
                escape(&s.kind),
                escape(&s.file),
                badge(s.verified, "yes", "NO")
            )
        })
        .collect();
    let links: Vec<String> = report
        .links
        .iter()
        .map(|l| {
            format!(
                "<tr{}><td>{}</td><td>{}</td><td class=\"wrap\">{}</td></tr>\n",
                row_class(l.ok),
                escape(&l.name),
                badge(l.ok, "ok", "BROKEN"),
                escape_hashes(&l.detail)
            )
        })
        .collect();
    format!(
        "<section id=\"summary\">\n<h2>Summary</h2>\n<h3>Statements</h3>\n{}<h3>Link checks</h3>\n{}\
         </section>\n",
        table("statements", &["Role", "Kind", "File", "Verified"], &statements, "No statement was checked."),
        table("links", &["Check", "Result", "Detail"], &links, "No link check was made.")
    )
}

/// A table with a header row, or the note `empty` when it has no row.
fn table(class: &str, head: &[&str], rows: &[String], empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{empty}</p>\n");
    }
    let head: String = head.iter().map(|h| format!("<th>{h}</th>")).collect();
    format!(
        "<table class=\"{class}\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{}</tbody>\n</table>\n",
        rows.concat()
    )
}

/// One statement: its verdict, its fields, and what its proof covers.
fn statement_section(s: &StatementSection) -> String {
    let mut html = format!(
        "<section class=\"statement\">\n<h2>{} statement{}</h2>\n<p class=\"kind\">{}</p>\n\
         <table class=\"fields\">\n<tr><th>File</th><td class=\"mono wrap\">{}</td></tr>\n\
         <tr{}><th>Result</th><td>{}</td></tr>\n",
        escape(&s.role),
        badge(s.verified, "verified", "REJECTED"),
        escape(&s.kind),
        escape(&s.file),
        row_class(s.verified),
        escape_hashes(&s.verdict)
    );
    for (name, value) in &s.fields {
        html.push_str(&format!(
            "<tr><th>{}</th><td class=\"mono wrap\">{}</td></tr>\n",
            escape(name),
            escape_hashes(value)
        ));
    }
    html.push_str("</table>\n<div class=\"cols\">\n<div><h3>What this proof establishes</h3>\n");
    html.push_str(&list(&s.establishes));
    html.push_str("</div>\n<div><h3>What it does not establish</h3>\n");
    html.push_str(&list(&s.does_not));
    html.push_str("</div>\n</div>\n</section>\n");
    html
}

/// Counts of a confusion matrix as fractions, so each shows its terms.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ratio {
    num: u128,
    den: u128,
}

impl Ratio {
    fn new(num: u128, den: u128) -> Self {
        Ratio { num, den }
    }

    /// The fraction's value, or `None` when its denominator is zero.
    fn value(self) -> Option<f64> {
        (self.den != 0).then(|| self.num as f64 / self.den as f64)
    }

    /// "0.8600 (172 / 200)", or "n/a (denominator 0)".
    fn text(self) -> String {
        match self.value() {
            Some(v) => format!(
                "{v:.4} <span class=\"muted\">({} / {})</span>",
                self.num, self.den
            ),
            None => "n/a <span class=\"muted\">(denominator 0)</span>".to_string(),
        }
    }
}

/// The metrics a confusion matrix determines.
struct Metrics {
    rows: u128,
    accuracy: Ratio,
    precision: Ratio,
    recall: Ratio,
    f1: Ratio,
}

/// Accuracy, precision, recall and F1 (as 2TP / (2TP + FP + FN)) from the
/// counts, in `u128` so no sum of `u64` counts can overflow.
fn metrics(e: &EvaluationView) -> Metrics {
    let (tp, fp, tn, fn_) = (
        u128::from(e.tp),
        u128::from(e.fp),
        u128::from(e.tn),
        u128::from(e.fn_),
    );
    let rows = tp + fp + tn + fn_;
    Metrics {
        rows,
        accuracy: Ratio::new(tp + tn, rows),
        precision: Ratio::new(tp, tp + fp),
        recall: Ratio::new(tp, tp + fn_),
        f1: Ratio::new(2 * tp, 2 * tp + fp + fn_),
    }
}

/// The confusion matrix as a chart, beside the metrics it determines.
fn evaluation_section(e: &EvaluationView) -> String {
    let m = metrics(e);
    let rows = [
        ("Rows", m.rows.to_string()),
        ("Accuracy", m.accuracy.text()),
        ("Precision", m.precision.text()),
        ("Recall", m.recall.text()),
        ("F1", m.f1.text()),
        ("Threshold", escape(&e.threshold)),
    ];
    let mut html = format!(
        "<section id=\"evaluation\">\n<h2>Confusion matrix: {} split</h2>\n<div class=\"eval\">\n{}\
         <table class=\"fields\">\n",
        escape(&e.split),
        confusion_svg(e)
    );
    for (name, value) in rows {
        html.push_str(&format!("<tr><th>{name}</th><td>{value}</td></tr>\n"));
    }
    html.push_str("</table>\n</div>\n");
    html.push_str(DECISION_MEANING);
    html.push_str("</section>\n");
    html
}

/// What a decision of 1 means, said wherever decisions are shown.
const DECISION_MEANING: &str = "<p class=\"note\">Decision 1 is the positive class: the \
    value 1 of the <code>label</code> column the model was trained on (what 1 stands for is \
    the data owner's coding, such as a good credit risk); decision 0 is label 0. A decision is \
    1 exactly when the logit is at least 0.</p>\n";

/// The public weights and the bias as a horizontal bar chart around zero.
fn weights_section(w: &WeightsView) -> String {
    let finite = w.weights.iter().chain([&w.bias]).filter(|v| v.is_finite());
    let largest = finite.fold(0.0_f64, |acc, v| acc.max(v.abs()));
    let all_finite = w.bias.is_finite() && w.weights.iter().all(|v| v.is_finite());
    let note = if largest > 0.0 {
        format!(
            "Bars share one scale: the largest magnitude, {}, reaches the edge of the \
             plot. Blue bars are positive (right of zero), orange negative (left), grey the \
             bias.{}",
            number(largest, 4),
            if all_finite {
                ""
            } else {
                " A value n/a is not finite and has no bar."
            }
        )
    } else {
        "Every weight and the bias is zero (or not finite): there are no bars to draw.".to_string()
    };
    format!(
        "<section id=\"weights\">\n<h2>Public weights ({} features and the bias)</h2>\n{}\
         <p class=\"note\">{note}</p>\n</section>\n",
        w.weights.len(),
        weights_svg(w, largest)
    )
}

/// The predictions as a table, cut to [`MAX_PREDICTION_ROWS`] rows.
fn predictions_section(p: &PredictionsView) -> String {
    let total = p.rows.len();
    let rows: Vec<String> = p
        .rows
        .iter()
        .take(MAX_PREDICTION_ROWS)
        .map(|row| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                row.index,
                row.logit.map_or_else(|| "private".into(), |z| number(z, 4)),
                row.probability
                    .map_or_else(|| "private".into(), |p| number(p, 4)),
                u8::from(row.decision)
            )
        })
        .collect();
    let omitted = match total - rows.len() {
        0 => String::new(),
        n => format!(
            "<p class=\"note\">Showing the first {} of {total} rows; {n} rows are omitted.</p>\n",
            rows.len()
        ),
    };
    format!(
        "<section id=\"predictions\">\n<h2>Predictions ({total} rows)</h2>\n{}{omitted}\
         {DECISION_MEANING}</section>\n",
        table(
            "numbers",
            &["Row", "Logit z", "Probability", "Decision"],
            &rows,
            "The bundle holds no prediction."
        )
    )
}

/// A bulleted list of escaped items, or a note that there is none.
fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "<p class=\"muted\">None stated.</p>\n".to_string();
    }
    let mut html = String::from("<ul>\n");
    for item in items {
        html.push_str(&format!("<li>{}</li>\n", escape(item)));
    }
    html.push_str("</ul>\n");
    html
}

/// A status badge: green `yes` text when `ok`, red `no` text otherwise.
fn badge(ok: bool, yes: &str, no: &str) -> String {
    if ok {
        format!("<span class=\"badge ok\">{yes}</span>")
    } else {
        format!("<span class=\"badge bad\">{no}</span>")
    }
}

/// The attribute that tints a failed row.
fn row_class(ok: bool) -> &'static str {
    if ok {
        ""
    } else {
        " class=\"bad\""
    }
}

/// `value` with `decimals` places, "n/a" when not finite, never "-0".
fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let text = format!("{value:.decimals$}");
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// The current time as `YYYY-MM-DD HH:MM UTC`, for a report's date line.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::svg::shorten;
    use super::*;

    fn statement(role: &str, file: &str, verified: bool) -> StatementSection {
        StatementSection {
            role: role.into(),
            file: file.into(),
            kind: "training, committed weights (C_W)".into(),
            verified,
            verdict: "verified in 2.51 s (SNARK check)".into(),
            fields: vec![("C_D".into(), "ab".repeat(32))],
            establishes: vec!["the weights result from the recipe".into()],
            does_not: vec!["the data is representative".into()],
        }
    }

    fn report() -> AuditReport {
        AuditReport {
            title: "foldtrain audit".into(),
            generated: "2026-12-03 15:04 UTC".into(),
            tool_version: "foldtrain 0.1.0".into(),
            passed: true,
            statements: vec![statement("Training", "run/proof.bin", true)],
            links: vec![link("same dataset commitment", true)],
            evaluation: None,
            weights: None,
            predictions: None,
            caveats: vec!["the preprocessing (z-scoring) is not proven".into()],
        }
    }

    fn link(name: &str, ok: bool) -> LinkCheck {
        let detail = "C_D compared".into();
        LinkCheck {
            name: name.into(),
            ok,
            detail,
        }
    }

    fn matrix(tp: u64, fp: u64, tn: u64, fn_: u64) -> Option<EvaluationView> {
        let (split, threshold) = ("test".into(), "logit z >= 0".into());
        Some(EvaluationView {
            split,
            threshold,
            tp,
            fp,
            tn,
            fn_,
        })
    }

    fn weights(names: &[&str], weights: Vec<f64>, bias: f64) -> Option<WeightsView> {
        let names = names.iter().map(|n| n.to_string()).collect();
        Some(WeightsView {
            names,
            weights,
            bias,
        })
    }

    #[test]
    fn escape_replaces_all_five_characters() {
        assert_eq!(escape(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assert_eq!(escape("plain text"), "plain text");
    }

    #[test]
    fn hostile_names_and_paths_appear_as_text() {
        let mut r = report();
        r.statements[0].file = "<script>alert(2)</script>.bin".into();
        r.weights = weights(&["<script>alert(1)</script>"], vec![0.5], -0.1);
        let html = render(&r);
        assert!(!html.to_lowercase().contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;.bin"));
    }

    #[test]
    fn metrics_of_a_known_matrix() {
        let evaluation = matrix(70, 12, 102, 16);
        let m = metrics(evaluation.as_ref().expect("a matrix"));
        assert_eq!(m.rows, 200);
        assert_eq!(m.accuracy, Ratio::new(172, 200));
        assert_eq!(m.precision.value(), Some(70.0 / 82.0));
        assert_eq!(m.recall.value(), Some(70.0 / 86.0));
        assert_eq!(m.f1.value(), Some(140.0 / 168.0));
        let html = render(&AuditReport {
            evaluation,
            ..report()
        });
        assert!(html.contains("0.8600 <span class=\"muted\">(172 / 200)</span>"));
        assert!(html.contains("0.8537"), "precision 70/82");
        assert!(html.contains("0.8140"), "recall 70/86");
    }

    #[test]
    fn zero_denominators_are_not_applicable() {
        let m = metrics(&matrix(0, 0, 5, 0).expect("a matrix"));
        assert_eq!(m.accuracy.value(), Some(1.0));
        assert_eq!(
            (m.precision.value(), m.recall.value(), m.f1.value()),
            (None, None, None)
        );
        let html = render(&AuditReport {
            evaluation: matrix(0, 0, 0, 0),
            ..report()
        });
        assert_eq!(html.matches("n/a <span").count(), 4);
        assert!(!html.contains("NaN"));
    }

    #[test]
    fn failed_report_says_failed_and_names_the_broken_link() {
        let mut r = report();
        r.passed = false;
        r.links
            .push(link("evaluation uses the trained weights", false));
        let html = render(&r);
        assert!(html.contains("FAILED") && !html.contains("PASSED"));
        assert!(html.contains("Broken links:</strong> evaluation uses the trained weights."));
        assert!(html.contains("BROKEN"));
    }

    #[test]
    fn contradicted_pass_is_shown_as_failed() {
        let mut r = report();
        r.statements
            .push(statement("Evaluation", "eval.bin", false));
        let html = render(&r);
        assert!(html.contains("FAILED") && html.contains("Rejected:</strong> Evaluation."));
    }

    #[test]
    fn output_is_self_contained_html5() {
        let html = render(&AuditReport {
            evaluation: matrix(1, 2, 3, 4),
            weights: weights(&["mean radius"], vec![1.0], 0.0),
            ..report()
        });
        assert!(html.starts_with("<!doctype html>") && html.contains("<html lang=\"en\">"));
        assert!(html.contains("<meta charset=\"utf-8\">") && html.contains("PASSED"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("url("));
    }

    #[test]
    fn optional_sections_are_left_out() {
        let html = render(&report());
        for id in ["evaluation", "weights", "predictions"] {
            assert!(!html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(!html.contains("<svg") && html.contains("id=\"caveats\""));
    }

    #[test]
    fn non_finite_weights_stay_out_of_svg_attributes() {
        let w = vec![f64::NAN, f64::INFINITY, -2.0];
        let html = render(&AuditReport {
            weights: weights(&["a", "b", "c"], w, f64::NEG_INFINITY),
            ..report()
        });
        assert!(!html.contains("NaN") && !html.contains("=\"inf") && !html.contains("=\"-inf"));
        assert_eq!(html.matches(">n/a</text>").count(), 3);
    }

    #[test]
    fn all_zero_weights_draw_no_bars() {
        let html = render(&AuditReport {
            weights: weights(&["a", "b"], vec![0.0, -0.0], 0.0),
            ..report()
        });
        assert!(html.contains("there are no bars to draw") && !html.contains("-0.0000"));
    }

    #[test]
    fn long_prediction_lists_are_cut() {
        let row = |index| PredictionRow {
            index,
            logit: Some(0.25),
            probability: Some(0.56),
            decision: true,
        };
        let rows = (0..250).map(row).collect();
        let html = render(&AuditReport {
            predictions: Some(PredictionsView { rows }),
            ..report()
        });
        assert!(html.contains("<tr><td>199</td>"));
        assert!(!html.contains("<tr><td>200</td>"));
        assert!(html.contains("Showing the first 200 of 250 rows; 50 rows are omitted."));
    }

    #[test]
    fn long_names_are_shortened_by_characters() {
        let short = shorten(&"é".repeat(40));
        assert_eq!(short.chars().count(), MAX_NAME_CHARS);
        assert!(short.ends_with('\u{2026}'));
    }

    #[test]
    fn hashes_are_shortened_with_the_full_value_on_hover_and_in_an_appendix() {
        let h = "ab".repeat(32);
        assert_eq!(
            escape_hashes(&format!("sha256 {h} <x> 1234 cafe")),
            format!(
                "sha256 <abbr class=\"hash\" title=\"{h}\">abababababab&hellip;</abbr> \
                 &lt;x&gt; 1234 cafe"
            )
        );
        // The page: the fields table shows the short form, the appendix
        // the whole value, once.
        let html = render(&report());
        assert!(html.contains("<td class=\"mono wrap\"><abbr class=\"hash\""));
        assert!(html.contains("<h2>Full values</h2>"));
        assert_eq!(html.matches(&format!(">{h}</td>")).count(), 1);
        // Without a long value, no appendix.
        let mut plain = report();
        plain.statements[0].fields = vec![("rows".into(), "800".into())];
        assert!(!render(&plain).contains("Full values"));
    }

    #[test]
    fn decisions_say_what_1_means() {
        let mut r = report();
        r.evaluation = matrix(5, 1, 3, 2);
        assert!(render(&r).contains("Decision 1 is the positive class"));
    }
}
