//! A protected attribute (sex, race, age band): the column `commit --group`
//! fixes before training, its groups, and the commitment `C_G` to each test
//! row's group, which `prove-eval` opens to prove confusion counts per
//! group.
//!
//! The attribute is never a feature: its columns are left out of the rows
//! every command reads from the CSV, so the model cannot use them (a
//! correlated feature still can; no proof covers that).
//!
//! Each row's group is a code `g` in `0..G` (`G <= 8`). `C_G` chains the
//! test rows' `(label, g)` in blocks of [`crate::commitment::BLOCK_ROWS`] rows, `g` in
//! [`GROUP_BITS`] bits ([`group_chain`]), and seals the chain with its own
//! salt, the row count and the column's tag ([`GroupColumn::tag`]: its name,
//! columns, rule and group labels), so neither the groups of rows nor their
//! names can be chosen after the commitment is published.

use serde::{Deserialize, Serialize};

use crate::commitment::{poseidon, CellCode, ChainKind, Commitment, Salt};
use crate::error::{Error, Result};
use crate::fixed::Scalar;

/// Most groups a protected attribute may have.
pub const MAX_GROUPS: usize = 8;
/// Bits of a group code.
pub const GROUP_BITS: u32 = 3;
/// Domain of the group chain's block hash.
pub const GROUP_BLOCK_DOMAIN: u32 = 0x6772_7031; // "grp1"
/// Domain of the group commitment's seal.
pub const GROUP_SEAL_DOMAIN: u32 = 0x6773_6c31; // "gsl1"

/// How a row's group is read from the CSV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GroupRule {
    /// One column; group `k` is the rows whose value is `values[k]`
    /// (ascending), each as the raw integer `round(x 2^16)`
    /// ([`crate::dataset::raw_fixed`]).
    Values { column: String, values: Vec<i64> },
    /// One-hot columns (each 0 or 1, at most one 1 a row): with `other`,
    /// group 0 is the rows with none of them (the category the encoding
    /// dropped), then one group a column; without, one group a column.
    OneHot { columns: Vec<String>, other: bool },
}

/// A protected attribute: its name, how rows are read, and its groups'
/// labels in code order. Valid by construction ([`GroupColumn::resolve`])
/// or as read: its `Deserialize` checks [`GroupColumn::validate`], so a
/// `commitment.json`, an opening or a bundle's spec holds a valid one or is
/// refused.
// `remote = "Self"`: serde's derives become inherent functions, which the
// trait impls below wrap (one field list, read and then checked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct GroupColumn {
    /// As given to `--group`.
    pub name: String,
    pub rule: GroupRule,
    /// Each group's label, in code order.
    pub labels: Vec<String>,
}

impl Serialize for GroupColumn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        GroupColumn::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for GroupColumn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let column = GroupColumn::deserialize(d)?;
        column.validate().map_err(serde::de::Error::custom)?;
        Ok(column)
    }
}

impl GroupColumn {
    /// The attribute `name` of a CSV with these feature columns and rows:
    /// the column `name` itself (at most 8 distinct values), or else the
    /// one-hot columns `name_*`.
    pub fn resolve(name: &str, columns: &[String], rows: &[Vec<f64>]) -> Result<Self> {
        let refuse = |why: String| Err(Error::InvalidRecipe(why));
        if let Some(j) = columns.iter().position(|c| c == name) {
            let mut values: Vec<i64> = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let v = raw_value(row[j], name, i)?;
                if !values.contains(&v) {
                    values.push(v);
                    if values.len() > MAX_GROUPS {
                        return refuse(format!(
                            "column `{name}` has more than {MAX_GROUPS} distinct values; a \
                             protected attribute has at most {MAX_GROUPS} groups (band it first)"
                        ));
                    }
                }
            }
            values.sort_unstable();
            let labels = values
                .iter()
                .map(|&v| format!("{name}={}", crate::dataset::raw_to_f64(v)))
                .collect();
            return GroupColumn {
                name: name.into(),
                rule: GroupRule::Values {
                    column: name.into(),
                    values,
                },
                labels,
            }
            .validated();
        }
        let prefix = format!("{name}_");
        let picked: Vec<usize> = (0..columns.len())
            .filter(|&j| columns[j].starts_with(&prefix))
            .collect();
        if picked.is_empty() {
            return refuse(format!(
                "no column `{name}` and no one-hot columns `{name}_*` in the CSV; give \
                 --group the name of a column, or the prefix of one-hot columns"
            ));
        }
        let mut other = false;
        for (i, row) in rows.iter().enumerate() {
            let ones = picked.iter().filter(|&&j| row[j] == 1.0).count();
            if ones > 1 || picked.iter().any(|&j| row[j] != 0.0 && row[j] != 1.0) {
                return refuse(format!(
                    "row {} is not one-hot in the columns `{name}_*` (each 0 or 1, at most one \
                     1); give --group one column instead",
                    i + 1
                ));
            }
            other |= ones == 0;
        }
        let names: Vec<String> = picked.iter().map(|&j| columns[j].clone()).collect();
        let mut labels = Vec::new();
        if other {
            labels.push(format!("{name}: none of the columns"));
        }
        labels.extend(names.iter().cloned());
        GroupColumn {
            name: name.into(),
            rule: GroupRule::OneHot {
                columns: names,
                other,
            },
            labels,
        }
        .validated()
    }

    fn validated(self) -> Result<Self> {
        self.validate()?;
        Ok(self)
    }

    /// The limits: 2 to 8 groups, as many labels as the rule has groups,
    /// distinct columns.
    pub fn validate(&self) -> Result<()> {
        let groups = match &self.rule {
            GroupRule::Values { values, .. } => values.len(),
            GroupRule::OneHot { columns, other } => columns.len() + usize::from(*other),
        };
        if !(2..=MAX_GROUPS).contains(&groups) || self.labels.len() != groups {
            return Err(Error::InvalidRecipe(format!(
                "the protected attribute `{}` has {groups} groups and {} labels; it needs 2 to \
                 {MAX_GROUPS} groups, one label each",
                self.name,
                self.labels.len()
            )));
        }
        if let GroupRule::Values { values, .. } = &self.rule {
            if values.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::InvalidRecipe(format!(
                    "the values of `{}` are not distinct and ascending",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// Groups.
    pub fn groups(&self) -> usize {
        self.labels.len()
    }

    /// The CSV columns the attribute reads (left out of the features).
    pub fn columns(&self) -> Vec<String> {
        match &self.rule {
            GroupRule::Values { column, .. } => vec![column.clone()],
            GroupRule::OneHot { columns, .. } => columns.clone(),
        }
    }

    /// Each row's group code; a row outside the groups (another value, not
    /// one-hot) is refused, named by its position in `rows`.
    pub fn codes(&self, columns: &[String], rows: &[Vec<f64>]) -> Result<Vec<u8>> {
        let index = |c: &String| {
            columns.iter().position(|n| n == c).ok_or_else(|| {
                Error::Mismatch(format!(
                    "the CSV has no column `{c}`, which the protected attribute `{}` reads; give \
                     the CSV that was committed",
                    self.name
                ))
            })
        };
        let outside = |i: usize| {
            Error::Mismatch(format!(
                "row {} has no group of the protected attribute `{}` ({}); give the CSV that \
                 was committed",
                i + 1,
                self.name,
                self.labels.join(", ")
            ))
        };
        match &self.rule {
            GroupRule::Values { column, values } => {
                let j = index(column)?;
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let v = raw_value(r[j], &self.name, i)?;
                        values
                            .iter()
                            .position(|&w| w == v)
                            .map(|k| k as u8)
                            .ok_or_else(|| outside(i))
                    })
                    .collect()
            }
            GroupRule::OneHot { columns: cs, other } => {
                let js = cs.iter().map(index).collect::<Result<Vec<_>>>()?;
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let ones: Vec<usize> = (0..js.len()).filter(|&k| r[js[k]] == 1.0).collect();
                        let clean = js.iter().all(|&j| r[j] == 0.0 || r[j] == 1.0);
                        match (ones.as_slice(), clean, other) {
                            ([], true, true) => Ok(0),
                            ([k], true, _) => Ok((k + usize::from(*other)) as u8),
                            _ => Err(outside(i)),
                        }
                    })
                    .collect()
            }
        }
    }

    /// What the seal of `C_G` binds of the attribute: sha256 of its
    /// encoding (name, rule, labels), as a field element.
    pub fn tag(&self) -> Scalar {
        crate::ivc::domain_tag(b"foldtrain-group", self)
    }
}

/// A group column's value as its raw integer.
fn raw_value(x: f64, name: &str, row: usize) -> Result<i64> {
    crate::dataset::raw_fixed(x).ok_or_else(|| {
        Error::InvalidRecipe(format!(
            "row {}: the value {x} of `{name}` is outside the raw range",
            row + 1
        ))
    })
}

/// The group chain: `(label, g)` of each row, `g` in [`GROUP_BITS`] bits.
pub fn group_chain_kind() -> ChainKind {
    ChainKind {
        code: CellCode {
            offset: 0,
            bits: GROUP_BITS,
        },
        block_domain: GROUP_BLOCK_DOMAIN,
        seal_domain: GROUP_SEAL_DOMAIN,
    }
}

/// The chain value after each block of the rows' `(label, group)`, padded
/// with zero rows (`h_1 .. h_m`).
pub fn group_chain(codes: &[u8], labels: &[u8]) -> Vec<Scalar> {
    let rows: Vec<Vec<i64>> = codes.iter().map(|&g| vec![i64::from(g)]).collect();
    group_chain_kind().chain_values(&rows, labels)
}

/// `C_G = Poseidon_gsl1(salt, h_m, n, tag)`.
pub fn seal_groups(salt: &Salt, chain_hash: Scalar, rows: usize, tag: Scalar) -> Commitment {
    Commitment(poseidon(
        GROUP_SEAL_DOMAIN,
        &[salt.0, chain_hash, Scalar::from(rows as u64), tag],
    ))
}

/// The private opening of `C_G`: the attribute, the salt and the rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupOpening {
    pub column: GroupColumn,
    pub commitment: Commitment,
    pub salt: Salt,
    pub rows: usize,
}

impl GroupOpening {
    /// Commits to the test rows' groups and labels under `salt`.
    pub fn commit(column: GroupColumn, codes: &[u8], labels: &[u8], salt: Salt) -> Self {
        let h = group_chain(codes, labels)
            .last()
            .copied()
            .unwrap_or(Scalar::from(0u64));
        GroupOpening {
            commitment: seal_groups(&salt, h, codes.len(), column.tag()),
            column,
            salt,
            rows: codes.len(),
        }
    }

    /// Checks that these rows' groups and labels open `C_G`.
    pub fn check(&self, codes: &[u8], labels: &[u8]) -> Result<()> {
        self.column.validate()?;
        let again = GroupOpening::commit(self.column.clone(), codes, labels, self.salt);
        if again.commitment != self.commitment {
            return Err(Error::Mismatch(format!(
                "the test rows' groups of `{}` do not open the group commitment C_G",
                self.column.name
            )));
        }
        Ok(())
    }
}

/// What `commitment.json` publishes of the attribute: its groups and `C_G`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicGroup {
    pub column: GroupColumn,
    pub commitment: Commitment,
    pub rows: usize,
}

impl From<&GroupOpening> for PublicGroup {
    fn from(o: &GroupOpening) -> Self {
        PublicGroup {
            column: o.column.clone(),
            commitment: o.commitment,
            rows: o.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_column_of_values_and_one_hot_columns_resolve_to_groups() {
        let cols = names(&["age", "race_Black", "race_White", "sex_Male"]);
        let rows = vec![
            vec![30.0, 0.0, 1.0, 1.0],
            vec![40.0, 1.0, 0.0, 0.0],
            vec![50.0, 0.0, 0.0, 1.0],
        ];
        let sex = GroupColumn::resolve("sex_Male", &cols, &rows).unwrap();
        assert_eq!(sex.labels, ["sex_Male=0", "sex_Male=1"]);
        assert_eq!(sex.codes(&cols, &rows).unwrap(), [1, 0, 1]);
        let race = GroupColumn::resolve("race", &cols, &rows).unwrap();
        assert_eq!(race.groups(), 3);
        assert_eq!(race.columns(), ["race_Black", "race_White"]);
        assert_eq!(race.codes(&cols, &rows).unwrap(), [2, 1, 0]);
        // Not one-hot, too many values, nothing of that name: refused.
        let bad = vec![vec![30.0, 1.0, 1.0, 1.0]];
        assert!(GroupColumn::resolve("race", &cols, &bad).is_err());
        let many: Vec<Vec<f64>> = (0..9).map(|i| vec![f64::from(i), 0.0, 0.0, 0.0]).collect();
        assert!(GroupColumn::resolve("age", &cols, &many).is_err());
        assert!(GroupColumn::resolve("income", &cols, &rows).is_err());
        // A value outside the committed groups is refused by its row.
        let e = sex
            .codes(&cols, &[vec![30.0, 0.0, 1.0, 0.5]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1"), "{e}");
    }

    #[test]
    fn an_invalid_attribute_is_refused_as_it_is_read() {
        // One group, labels that do not match the groups, values out of
        // order: each refused by serde (so in commitment.json, an opening or
        // a bundle's spec), the valid one read back.
        let valid = serde_json::json!({
            "name": "g",
            "rule": {"values": {"column": "g", "values": [0, 65536]}},
            "labels": ["g=0", "g=1"],
        });
        let read = |v: &serde_json::Value| serde_json::from_value::<GroupColumn>(v.clone());
        assert_eq!(read(&valid).unwrap().groups(), 2);
        let mut one = valid.clone();
        one["rule"]["values"]["values"] = serde_json::json!([0]);
        one["labels"] = serde_json::json!(["g=0"]);
        let mut labels = valid.clone();
        labels["labels"] = serde_json::json!(["g=0"]);
        let mut order = valid.clone();
        order["rule"]["values"]["values"] = serde_json::json!([65536, 0]);
        let mut nine = valid.clone();
        nine["rule"] = serde_json::json!({"one_hot": {"columns": (0..9).map(|i| format!("c{i}")).collect::<Vec<_>>(), "other": false}});
        nine["labels"] = serde_json::json!((0..9).map(|i| format!("c{i}")).collect::<Vec<_>>());
        for bad in [one, labels, order, nine] {
            assert!(read(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_group_commitment_binds_codes_labels_and_names() {
        let cols = names(&["sex"]);
        let rows: Vec<Vec<f64>> = (0..20).map(|i| vec![f64::from(i % 2)]).collect();
        let column = GroupColumn::resolve("sex", &cols, &rows).unwrap();
        let codes = column.codes(&cols, &rows).unwrap();
        let labels: Vec<u8> = (0..20).map(|i| u8::from(i % 3 == 0)).collect();
        let opening = GroupOpening::commit(column.clone(), &codes, &labels, Salt(Scalar::from(7)));
        opening.check(&codes, &labels).unwrap();
        let mut other = codes.clone();
        other[13] ^= 1;
        assert!(opening.check(&other, &labels).is_err());
        let mut relabelled = opening.clone();
        relabelled.column.labels.swap(0, 1);
        assert!(relabelled.check(&codes, &labels).is_err());
    }
}
