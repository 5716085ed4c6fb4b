//! The inference step circuit: what [`super::native`] computes, as
//! constraints.

use super::*;

/// The inference step circuit.
#[derive(Clone, Debug)]
pub struct InferStep {
    pub spec: Arc<InferSpec>,
    pub witness: Arc<InferWitness>,
}

/// One row inside the circuit: the bits a block hashes, and what the row
/// contributes (counts or the output element).
struct RowOut {
    bits: Vec<AllocatedBit>,
    /// Evaluation: `[TP, FP, TN, FN]` increments.
    counts: Option<[Lin; 4]>,
    /// Predictions: `m (2 (z + 2^(k-1)) + d)` with public weights, `m d`
    /// with committed weights.
    output: Option<AllocatedNum<Scalar>>,
    /// Evaluation by groups: the bits the group chain hashes (the label,
    /// then the code's) and each group's increments.
    group: Option<(Vec<AllocatedBit>, Vec<[Lin; 4]>)>,
}

impl InferStep {
    /// A circuit with a blank witness: enough for the shape.
    pub fn blank(spec: Arc<InferSpec>) -> Self {
        let witness = Arc::new(InferWitness::blank(&spec));
        InferStep { spec, witness }
    }

    /// The weights from `z`'s model part (bits tied to the packed elements,
    /// or opening `C_W`); their values, weights then bias.
    fn incoming_weights<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        model: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<Lin>, SynthesisError> {
        let spec = &*self.spec;
        let mut cs = cs.namespace(|| Scope::Unpack.to_string());
        let (values, packed) =
            alloc_weights(&mut cs, spec.packing(), &spec.format, &self.witness.weights)?;
        match spec.weights {
            WeightsVisibility::Public => {
                for (e, (lin, element)) in packed.iter().zip(model).enumerate() {
                    enforce_eq(
                        cs.namespace(|| format!("element {e}")),
                        lin,
                        &value_lin(element),
                    );
                }
            }
            WeightsVisibility::Committed => {
                let salt = self.witness.weights_salt.unwrap_or(Salt(Scalar::ZERO));
                let salt = AllocatedNum::alloc(cs.namespace(|| "weights salt"), || Ok(salt.0))?;
                let opened = commit_weights(&mut cs.namespace(|| "open"), &packed, &salt)?;
                enforce_eq(
                    cs.namespace(|| "opens C_W"),
                    &value_lin(&opened),
                    &value_lin(&model[0]),
                );
            }
        }
        Ok(values)
    }

    /// Row `i`: its inputs (label bit for evaluation, features), logit and
    /// decision, then its counts or its output, masked by `mask` when the
    /// row may be padding.
    fn row<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        i: usize,
        values: &[Lin],
        mask: Option<&Lin>,
        raw: Option<&RawNormalizer>,
    ) -> Result<RowOut, SynthesisError> {
        let spec = &*self.spec;
        let wit = &*self.witness;
        let mut cs = cs.namespace(|| Scope::Row(i).to_string());
        let evaluate = matches!(spec.task, Task::Evaluate(_));
        let y = if evaluate {
            let label = wit.labels[i] == 1;
            Some(AllocatedBit::alloc(
                cs.namespace(|| Scope::Label.to_string()),
                Some(label),
            )?)
        } else {
            None
        };
        let features = wit.features(spec, i);
        let (x, feature_bits) = match raw {
            None => alloc_features(&mut cs, &spec.format, &wit.rows[i])?,
            Some(norm) => norm.features(&mut cs, &spec.format, &wit.rows[i])?,
        };
        let native = Prediction::of(&wit.weights, &features, &spec.format);
        let k = spec.logit_bits();
        let logit = logit_gadget(
            &mut cs,
            LogitInputs {
                values,
                x: &x,
                weights: &wit.weights,
                row: &features,
                z: native.logit,
            },
            k,
            spec.format.feature_frac_bits,
        )?;
        let mut bits: Vec<AllocatedBit> = y.iter().cloned().collect();
        bits.extend(feature_bits);
        let d = decision(&logit, k);
        match y {
            Some(y) => {
                let counts = self.counts(&mut cs, &d, &Lin::bit(&y), mask)?;
                let group = match &spec.group {
                    Some(column) => Some(self.group_of_row(&mut cs, i, column, &y, &counts)?),
                    None => None,
                };
                Ok(RowOut {
                    bits,
                    counts: Some(counts),
                    output: None,
                    group,
                })
            }
            None => {
                let out = match spec.weights {
                    // 2 (z + 2^(k-1)) + d, from the logit's bits
                    WeightsVisibility::Public => crate::circuit::gadgets::bits_lin(&logit.bits)
                        .scale(Scalar::from(2u64))
                        .add(&d),
                    // d alone: the logit stays private with the weights
                    WeightsVisibility::Committed => d,
                };
                let out = match mask {
                    Some(m) => mul(cs.namespace(|| Scope::Mask.to_string()), m, &out)?,
                    None => out,
                };
                Ok(RowOut {
                    bits,
                    counts: None,
                    output: Some(alloc_lin(cs.namespace(|| "output"), &out)?),
                    group: None,
                })
            }
        }
    }

    /// Row `i`'s group: a one-hot vector `o` of `G` bits summing to 1 whose
    /// code `sum k o_k` is the value of [`GROUP_BITS`] bits; returns the
    /// bits the group chain hashes (`y`, then the code's) and `o_k` times
    /// the row's increments for each group `k`.
    fn group_of_row<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        i: usize,
        column: &GroupColumn,
        y: &AllocatedBit,
        counts: &[Lin; 4],
    ) -> Result<(Vec<AllocatedBit>, Vec<[Lin; 4]>), SynthesisError> {
        let mut cs = cs.namespace(|| "group");
        let code = self.witness.groups.get(i).copied().unwrap_or(0) as usize;
        let one_hot = (0..column.groups())
            .map(|k| AllocatedBit::alloc(cs.namespace(|| format!("is group {k}")), Some(k == code)))
            .collect::<Result<Vec<_>, _>>()?;
        let lins: Vec<Lin> = one_hot.iter().map(Lin::bit).collect();
        enforce_eq(
            cs.namespace(|| "in exactly one group"),
            &Lin::sum(&lins),
            &Lin::constant::<CS>(Scalar::ONE),
        );
        let code_bits = (0..GROUP_BITS)
            .map(|b| {
                AllocatedBit::alloc(
                    cs.namespace(|| format!("code bit {b}")),
                    Some((code >> b) & 1 == 1),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let weighted: Vec<Lin> = (lins.iter().enumerate())
            .map(|(k, o)| o.scale(Scalar::from(k as u64)))
            .collect();
        enforce_eq(
            cs.namespace(|| "the code is the group's"),
            &crate::circuit::gadgets::bits_lin(&code_bits),
            &Lin::sum(&weighted),
        );
        let per_group = (lins.iter().enumerate())
            .map(|(k, o)| -> Result<[Lin; 4], SynthesisError> {
                let mut out = counts.clone();
                for (j, c) in out.iter_mut().enumerate() {
                    *c = mul(cs.namespace(|| format!("group {k} count {j}")), o, c)?;
                }
                Ok(out)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut bits = vec![y.clone()];
        bits.extend(code_bits);
        Ok((bits, per_group))
    }

    /// `[TP, FP, TN, FN]` increments of a row with decision `d` and label
    /// `y`, each times the mask when there is one.
    fn counts<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        d: &Lin,
        y: &Lin,
        mask: Option<&Lin>,
    ) -> Result<[Lin; 4], SynthesisError> {
        let dy = mul(cs.namespace(|| "d y"), d, y)?;
        let one = Lin::constant::<CS>(Scalar::ONE);
        let (m, md, my, mdy) = match mask {
            None => (one, d.clone(), y.clone(), dy),
            Some(m) => (
                m.clone(),
                mul(cs.namespace(|| "m d"), m, d)?,
                mul(cs.namespace(|| "m y"), m, y)?,
                mul(cs.namespace(|| "m d y"), m, &dy)?,
            ),
        };
        // TP = m d y, FP = m d (1 - y), TN = m (1 - d)(1 - y), FN = m (1 - d) y
        Ok([
            mdy.clone(),
            md.sub(&mdy),
            m.sub(&md).sub(&my).add(&mdy),
            my.sub(&mdy),
        ])
    }

    /// The chain over the step's blocks: the split's block hash of the rows'
    /// bits (evaluation) or the predictions' hash of feature bits and
    /// outputs. A block of padding only (last step) leaves the chain as it
    /// was.
    fn absorb_blocks<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        mut h: AllocatedNum<Scalar>,
        rows: &[RowOut],
        not_last: &Lin,
        groups: bool,
    ) -> Result<AllocatedNum<Scalar>, SynthesisError> {
        let spec = &*self.spec;
        let last_rows = spec.last_step_rows();
        for (blk, block) in rows.chunks(BLOCK_ROWS).enumerate() {
            let mut cs = cs.namespace(|| match groups {
                false => Scope::Block(blk).to_string(),
                true => format!("group block {blk}"),
            });
            let bits: Vec<AllocatedBit> = match groups {
                false => block.iter().flat_map(|r| r.bits.clone()).collect(),
                true => (block.iter())
                    .flat_map(|r| r.group.iter().flat_map(|(bits, _)| bits.clone()))
                    .collect(),
            };
            let mut inputs = vec![h.clone()];
            inputs.extend(hash::pack_bits(cs.namespace(|| "pack"), &bits)?);
            let domain = match spec.task {
                Task::Evaluate(_) if groups => crate::group::GROUP_BLOCK_DOMAIN,
                Task::Evaluate(_) => BLOCK_DOMAIN,
                Task::Predict => {
                    inputs.extend(block.iter().filter_map(|r| r.output.clone()));
                    predict_domain(spec)
                }
            };
            let hashed = hash::poseidon(cs.namespace(|| "hash"), domain, &inputs)?;
            h = if blk * BLOCK_ROWS >= last_rows {
                let h_lin = value_lin(&h);
                let step = value_lin(&hashed).sub(&h_lin);
                let delta = mul(cs.namespace(|| "gate"), not_last, &step)?;
                alloc_lin(cs.namespace(|| "chain"), &h_lin.add(&delta))?
            } else {
                hashed
            };
        }
        Ok(h)
    }
}

impl InferStep {
    /// The group part of `z` after a step: `C_G` (required, at the last
    /// step, to be the seal of the group chain with `salt_G`, the row count
    /// and the column's tag), the chain (reset after the last step) and
    /// each group's counts.
    fn group_outputs<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
        gi: usize,
        column: &GroupColumn,
        rows: &[RowOut],
        (is_last, not_last): (&Lin, &Lin),
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let mut cs = cs.namespace(|| "groups");
        let h = self.absorb_blocks(&mut cs, z[gi + 1].clone(), rows, not_last, true)?;
        let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(self.witness.group_salt.0))?;
        let n = alloc_lin(
            cs.namespace(|| "row count"),
            &Lin::int::<CS>(self.spec.rows as i128),
        )?;
        let tag = alloc_lin(cs.namespace(|| "tag"), &Lin::constant::<CS>(column.tag()))?;
        let sealed = hash::poseidon(
            cs.namespace(|| "seal"),
            crate::group::GROUP_SEAL_DOMAIN,
            &[salt, h.clone(), n, tag],
        )?;
        enforce_mul(
            cs.namespace(|| "the groups open C_G at the end"),
            is_last,
            &value_lin(&sealed).sub(&value_lin(&z[gi])),
            &Lin::int::<CS>(0),
        );
        let h_next = mul(cs.namespace(|| "reset hash"), not_last, &value_lin(&h))?;
        let mut out = vec![
            z[gi].clone(),
            alloc_lin(cs.namespace(|| "hash out"), &h_next)?,
        ];
        for k in 0..column.groups() {
            for j in 0..4 {
                let total = (rows.iter())
                    .filter_map(|r| r.group.as_ref())
                    .fold(value_lin(&z[gi + 2 + 4 * k + j]), |acc, (_, c)| {
                        acc.add(&c[k][j])
                    });
                out.push(alloc_lin(
                    cs.namespace(|| format!("group {k} count {j} out")),
                    &total,
                )?);
            }
        }
        Ok(out)
    }
}

/// The normalizer of predictions on raw values, from `z`: each feature's
/// mean and divisor in the circuit, and natively.
pub(super) struct RawNormalizer {
    means: Vec<Lin>,
    divisors: Vec<Lin>,
    native: Normalizer,
}

impl RawNormalizer {
    /// From `z`'s means then deviations, or (`committed`) the witness's
    /// values opening `z`'s `C_N` under `salt` (`native`: the witness's
    /// copy).
    fn of<CS: ConstraintSystem<Scalar>>(
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
        native: Option<&Normalizer>,
        (committed, salt): (bool, &Salt),
        d: usize,
    ) -> Result<Self, SynthesisError> {
        let native = native.cloned().ok_or_else(|| {
            SynthesisError::Unsatisfiable("raw inputs without a normalizer".into())
        })?;
        let values: Vec<Lin> = if committed {
            let ints: Vec<i128> = (native.means().iter().chain(native.stds()))
                .map(|&v| i128::from(v))
                .collect();
            let opened = crate::circuit::prep::normalizer_gadget(
                cs.namespace(|| "normalizer"),
                &ints,
                salt,
            )?;
            enforce_eq(
                cs.namespace(|| "opens C_N"),
                &value_lin(&opened.commitment),
                &value_lin(&z[0]),
            );
            opened.values
        } else {
            z[..2 * d].iter().map(value_lin).collect()
        };
        let mut divisors = Vec::with_capacity(d);
        for (j, sigma) in values[d..].iter().enumerate() {
            divisors.push(crate::circuit::prep::divisor_gadget(
                cs.namespace(|| format!("sigma {j} is zero")),
                sigma,
            )?);
        }
        Ok(RawNormalizer {
            means: values[..d].to_vec(),
            divisors,
            native,
        })
    }

    /// A row of raw integers: each range-checked by its 48 bits (what the
    /// predictions hash) and quantized by the normalizer (the model's
    /// features, range-checked by their bits).
    fn features<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        format: &FixedFormat,
        row: &[i64],
    ) -> Result<(Vec<Lin>, Vec<AllocatedBit>), SynthesisError> {
        let offset = CellCode::RAW.offset;
        let half = format.feature_half_range();
        let mut x = Vec::with_capacity(row.len());
        let mut bits = Vec::with_capacity(row.len() * RAW_BITS as usize);
        for (j, &r) in row.iter().enumerate() {
            let mut cs = cs.namespace(|| Scope::Feature(j).to_string());
            let raw = crate::circuit::gadgets::alloc_bits(
                cs.namespace(|| "raw"),
                &to_field(i128::from(r + offset)),
                RAW_BITS,
            )?;
            let r_lin = crate::circuit::gadgets::bits_lin(&raw).sub(&Lin::int::<CS>(offset.into()));
            let t = r_lin.sub(&self.means[j]);
            let native = crate::circuit::prep::quotient(
                i128::from(r) - i128::from(self.native.means()[j]),
                crate::circuit::prep::divisor_of(self.native.stds()[j]),
                format,
            );
            let c_bits = crate::circuit::prep::quantize_gadget(
                &mut cs,
                &t,
                &self.divisors[j],
                &native,
                format,
            )?;
            x.push(crate::circuit::gadgets::bits_lin(&c_bits).sub(&Lin::int::<CS>(half.into())));
            bits.extend(raw);
        }
        Ok((x, bits))
    }
}

/// The decision `[z >= 0]`: the top bit of `z + 2^(k-1)`.
fn decision(logit: &Signed, k: u32) -> Lin {
    Lin::bit(&logit.bits[k as usize - 1])
}

impl StepCircuit<Scalar> for InferStep {
    fn arity(&self) -> usize {
        self.spec.layout().arity
    }

    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let spec = &*self.spec;
        let layout = spec.layout();
        let wit = &*self.witness;
        if z.len() != layout.arity
            || wit.rows.len() != spec.rows_per_step
            || wit.labels.len() != spec.rows_per_step
            || wit.groups.len() != spec.rows_per_step
            || wit.weights.w.len() != spec.features
            || wit.rows.iter().any(|r| r.len() != spec.features)
        {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state or witness is not of the spec's shape ({})",
                spec.summary()
            )));
        }
        // The spec's tag as a constant: binds every field into the digest.
        alloc_lin(
            cs.namespace(|| "spec tag"),
            &Lin::constant::<CS>(spec.tag()),
        )?;
        let step = value_lin(&z[layout.step]);
        let values = self.incoming_weights(cs, &z[layout.model.clone()])?;
        let is_last = is_zero(
            cs.namespace(|| "is last step"),
            &step.sub(&Lin::int::<CS>(spec.steps() as i128 - 1)),
        )?;
        let not_last = Lin::constant::<CS>(Scalar::ONE).sub(&is_last);
        let last_rows = spec.last_step_rows();
        let raw = match &layout.normalizer {
            Some(range) => Some(RawNormalizer::of(
                cs,
                &z[range.clone()],
                wit.normalizer.as_ref(),
                (spec.private_normalizer, &wit.normalizer_salt),
                spec.features,
            )?),
            None => None,
        };
        let rows = (0..spec.rows_per_step)
            .map(|i| {
                let mask = (i >= last_rows).then_some(&not_last);
                self.row(cs, i, &values, mask, raw.as_ref())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let h = self.absorb_blocks(cs, z[layout.hash].clone(), &rows, &not_last, false)?;

        let mut out: Vec<AllocatedNum<Scalar>> = z[layout.model.clone()].to_vec();
        match spec.task {
            Task::Evaluate(split) => {
                let (Some(ci), Some(ki)) = (layout.commitment, layout.counts) else {
                    return Err(SynthesisError::Unsatisfiable("no commitment in z".into()));
                };
                let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(wit.salt.0))?;
                let n = alloc_lin(
                    cs.namespace(|| "row count"),
                    &Lin::int::<CS>(spec.rows as i128),
                )?;
                let sealed = hash::poseidon(
                    cs.namespace(|| "seal"),
                    split.seal_domain(),
                    &[salt, h.clone(), n],
                )?;
                // is_last * (sealed - C) = 0
                enforce_mul(
                    cs.namespace(|| "seal matches commitment at the end"),
                    &is_last,
                    &value_lin(&sealed).sub(&value_lin(&z[ci])),
                    &Lin::int::<CS>(0),
                );
                let h_next = mul(cs.namespace(|| "reset hash"), &not_last, &value_lin(&h))?;
                out.push(alloc_lin(cs.namespace(|| "hash out"), &h_next)?);
                out.push(z[ci].clone());
                out.push(alloc_lin(
                    cs.namespace(|| "step out"),
                    &step.add(&Lin::int::<CS>(1)),
                )?);
                for k in 0..4 {
                    let total = rows
                        .iter()
                        .filter_map(|r| r.counts.as_ref())
                        .fold(value_lin(&z[ki + k]), |acc, c| acc.add(&c[k]));
                    out.push(alloc_lin(
                        cs.namespace(|| format!("count {k} out")),
                        &total,
                    )?);
                }
                if let (Some(gi), Some(column)) = (layout.group, &spec.group) {
                    out.extend(self.group_outputs(
                        cs,
                        z,
                        gi,
                        column,
                        &rows,
                        (&is_last, &not_last),
                    )?);
                }
            }
            Task::Predict => {
                if let Some(range) = &layout.normalizer {
                    out.extend(z[range.clone()].iter().cloned());
                }
                out.push(h);
                out.push(alloc_lin(
                    cs.namespace(|| "step out"),
                    &step.add(&Lin::int::<CS>(1)),
                )?);
            }
        }
        Ok(out)
    }
}
