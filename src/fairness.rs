//! Fairness figures from proven confusion counts of each group of a
//! protected attribute: what `verify`, `prove-eval` and the chain audit's
//! report show. Each is a function of the proven counts alone, so it is as
//! proven as they are.
//!
//! Per group `g` with `n_g` rows: the approval rate `(TP + FP) / n_g` (the
//! share decided 1), the true-positive rate `TP / (TP + FN)` and the
//! false-positive rate `FP / (FP + TN)`. Across groups (those with rows, or
//! with positives for the true-positive rate): the demographic-parity
//! difference (largest approval rate minus smallest), the equal-opportunity
//! difference (the same of the true-positive rates) and the
//! disparate-impact ratio (smallest approval rate over largest; the
//! four-fifths rule asks for at least 0.8). These are fairlearn's
//! `demographic_parity_difference`, `equal_opportunity_difference` and
//! `demographic_parity_ratio`.

use serde::Serialize;

use crate::train::Confusion;

/// The four-fifths rule's least disparate-impact ratio.
pub const FOUR_FIFTHS: f64 = 0.8;

/// One group's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupFigures {
    pub label: String,
    pub counts: Confusion,
    pub rows: u64,
    /// `(TP + FP) / n_g`; `None` for a group without rows.
    pub approval_rate: Option<f64>,
    /// `TP / (TP + FN)`; `None` without positives.
    pub true_positive_rate: Option<f64>,
    /// `FP / (FP + TN)`; `None` without negatives.
    pub false_positive_rate: Option<f64>,
}

/// Every group's figures and the differences between them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fairness {
    /// The protected attribute's name.
    pub attribute: String,
    pub groups: Vec<GroupFigures>,
    /// Largest approval rate minus smallest.
    pub demographic_parity_difference: Option<f64>,
    /// Largest true-positive rate minus smallest.
    pub equal_opportunity_difference: Option<f64>,
    /// Smallest approval rate over largest.
    pub disparate_impact_ratio: Option<f64>,
    /// The disparate-impact ratio is at least [`FOUR_FIFTHS`].
    pub four_fifths_rule: Option<bool>,
}

impl Fairness {
    /// The figures of groups labelled `labels` with these counts.
    pub fn of(attribute: &str, labels: &[String], counts: &[Confusion]) -> Self {
        let groups: Vec<GroupFigures> = labels
            .iter()
            .zip(counts)
            .map(|(label, c)| GroupFigures {
                label: label.clone(),
                counts: *c,
                rows: c.total(),
                approval_rate: c.positive_rate(),
                true_positive_rate: c.recall(),
                false_positive_rate: c.false_positive_rate(),
            })
            .collect();
        let spread = |f: fn(&GroupFigures) -> Option<f64>| -> Option<(f64, f64)> {
            let values: Vec<f64> = groups.iter().filter_map(f).collect();
            if values.len() < 2 {
                return None;
            }
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some((lo, hi))
        };
        let approval = spread(|g| g.approval_rate);
        let tpr = spread(|g| g.true_positive_rate);
        let ratio = approval.and_then(|(lo, hi)| (hi > 0.0).then(|| lo / hi));
        Fairness {
            attribute: attribute.into(),
            groups,
            demographic_parity_difference: approval.map(|(lo, hi)| hi - lo),
            equal_opportunity_difference: tpr.map(|(lo, hi)| hi - lo),
            disparate_impact_ratio: ratio,
            four_fifths_rule: ratio.map(|r| r >= FOUR_FIFTHS),
        }
    }

    /// Each group's figures as `(label, text)`, then the differences
    /// between groups as `(name, text)`: what every report shows (text,
    /// HTML).
    pub fn rows(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = (self.groups.iter())
            .map(|g| (g.label.clone(), g.text()))
            .collect();
        let points =
            |v: Option<f64>| v.map_or_else(|| "n/a".into(), |d| format!("{:.2} points", d * 100.0));
        rows.push((
            "demographic-parity difference".into(),
            points(self.demographic_parity_difference),
        ));
        rows.push((
            "equal-opportunity difference".into(),
            points(self.equal_opportunity_difference),
        ));
        rows.push((
            "disparate-impact ratio".into(),
            match (self.disparate_impact_ratio, self.four_fifths_rule) {
                (Some(r), Some(true)) => format!("{r:.3} (meets the four-fifths rule)"),
                (Some(r), _) => format!("{r:.3} (below the four-fifths rule's 0.8)"),
                _ => "n/a (no group was approved)".into(),
            },
        ));
        rows
    }

    /// The figures as lines of text (for `verify`, `prove-eval` and the
    /// audit).
    pub fn lines(&self) -> Vec<String> {
        let rows = self.rows();
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = vec![format!(
            "groups of {} (proven counts; approval: decided 1)",
            self.attribute
        )];
        out.extend(rows.iter().map(|(k, v)| format!("  {k:width$}  {v}")));
        out
    }
}

impl GroupFigures {
    /// The group's size, rates and counts in words.
    pub fn text(&self) -> String {
        let pct = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |a| format!("{:.2}%", a * 100.0));
        format!(
            "{} rows; approval rate {}, true-positive rate {}, false-positive rate {} (TP {} FP {} \
             TN {} FN {})",
            self.rows,
            pct(self.approval_rate),
            pct(self.true_positive_rate),
            pct(self.false_positive_rate),
            self.counts.tp,
            self.counts.fp,
            self.counts.tn,
            self.counts.fn_
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_their_definitions() {
        let c = |tp, fp, tn, fn_| Confusion { tp, fp, tn, fn_ };
        let labels = vec!["a".to_string(), "b".into(), "empty".into()];
        // a: 10 rows, 5 approved (4 TP, 1 FP); b: 10 rows, 2 approved.
        let f = Fairness::of(
            "sex",
            &labels,
            &[c(4, 1, 4, 1), c(2, 0, 5, 3), c(0, 0, 0, 0)],
        );
        assert_eq!(f.groups[0].approval_rate, Some(0.5));
        assert_eq!(f.groups[1].approval_rate, Some(0.2));
        assert_eq!(f.groups[2].approval_rate, None);
        assert_eq!(f.groups[0].true_positive_rate, Some(0.8));
        assert_eq!(f.groups[1].true_positive_rate, Some(0.4));
        assert_eq!(f.groups[0].false_positive_rate, Some(0.2));
        assert!((f.demographic_parity_difference.unwrap() - 0.3).abs() < 1e-12);
        assert!((f.equal_opportunity_difference.unwrap() - 0.4).abs() < 1e-12);
        assert!((f.disparate_impact_ratio.unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(f.four_fifths_rule, Some(false));
        assert!(f
            .lines()
            .iter()
            .any(|l| l.contains("below the four-fifths")));
        // Nobody approved: no ratio, and no verdict.
        let none = Fairness::of("sex", &labels[..2], &[c(0, 0, 5, 5), c(0, 0, 5, 5)]);
        assert_eq!(none.disparate_impact_ratio, None);
        assert_eq!(none.four_fifths_rule, None);
        assert_eq!(none.demographic_parity_difference, Some(0.0));
    }
}
