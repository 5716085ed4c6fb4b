//! An opt-in raw encoding of the bulk of Nova's keys, for fast decoding.
//!
//! Added by foldtrain's patch (see `PATCH.md` at the root of this crate).
//! By default nothing changes: every type serializes exactly as the published
//! crate's derives do. Inside [`with_raw`]`(true, ..)`, on the calling thread
//! only, two kinds of fields are written as one byte string each instead of
//! element by element:
//!
//! - the generators of a Pedersen commitment key, as uncompressed affine
//!   points (`SerdeObject::write_raw`: both coordinates, Montgomery limbs),
//!   so that decoding costs no square root;
//! - the coefficients of an R1CS matrix, as their canonical `to_repr` bytes.
//!
//! Decoding checks as much as the compressed encoding does: every coordinate
//! and every coefficient must be canonical (below its modulus) and every
//! point on the curve (`from_raw_bytes` checks both; the curve equation is
//! checked again here). The Pedersen curves this crate provides have
//! cofactor 1, so a point on the curve is in the group. A byte string whose
//! length is not a multiple of the element's size is refused. Nothing
//! panics on malformed input: every failure is a serde error.
//!
//! Digests never see the raw encoding: [`crate::digest`] encodes with
//! `with_raw(false, ..)`, so parameter and key digests are the published
//! crate's whatever the caller's setting.

use ff::PrimeField;
use halo2curves::{serde::SerdeObject, CurveAffine};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::{cell::Cell, fmt, marker::PhantomData};

thread_local! {
  static RAW: Cell<bool> = const { Cell::new(false) };
}

/// Whether serde (de)serialization on this thread uses the raw encoding.
pub fn is_raw() -> bool {
  RAW.with(Cell::get)
}

/// Runs `f` with the raw encoding on (`raw`) or off on this thread, and
/// restores the previous setting afterwards, also when `f` panics.
pub fn with_raw<R>(raw: bool, f: impl FnOnce() -> R) -> R {
  struct Restore(bool);
  impl Drop for Restore {
    fn drop(&mut self) {
      RAW.with(|cell| cell.set(self.0));
    }
  }
  let _restore = Restore(RAW.with(|cell| cell.replace(raw)));
  f()
}

/// Writes `items` as one byte string, `put` appending each item's bytes.
fn serialize_blob<S: Serializer, T>(
  items: &[T],
  width: usize,
  put: impl Fn(&T, &mut Vec<u8>),
  serializer: S,
) -> Result<S::Ok, S::Error> {
  let mut blob = Vec::with_capacity(items.len().saturating_mul(width));
  for item in items {
    put(item, &mut blob);
  }
  serializer.serialize_bytes(&blob)
}

/// Reads one byte string of `width`-byte items, each decoded by `get`
/// (`None`: not a valid item).
fn deserialize_blob<'de, D: Deserializer<'de>, T>(
  deserializer: D,
  width: usize,
  what: &'static str,
  get: impl Fn(&[u8]) -> Option<T>,
) -> Result<Vec<T>, D::Error> {
  struct Blob<T, G> {
    width: usize,
    what: &'static str,
    get: G,
    _t: PhantomData<T>,
  }

  impl<T, G: Fn(&[u8]) -> Option<T>> de::Visitor<'_> for Blob<T, G> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
      write!(f, "a byte string of {}s, {} bytes each", self.what, self.width)
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<T>, E> {
      if self.width == 0 || bytes.len() % self.width != 0 {
        return Err(E::custom(format!(
          "raw {}s: {} bytes is not a whole number of {}-byte elements",
          self.what,
          bytes.len(),
          self.width
        )));
      }
      bytes
        .chunks_exact(self.width)
        .enumerate()
        .map(|(i, chunk)| {
          (self.get)(chunk).ok_or_else(|| {
            E::custom(format!(
              "raw {} {i} is not valid (a non-canonical coordinate or \
               coefficient, or a point off the curve)",
              self.what
            ))
          })
        })
        .collect()
    }
  }

  deserializer.deserialize_bytes(Blob {
    width,
    what,
    get,
    _t: PhantomData,
  })
}

/// Bytes of one point in the raw encoding.
fn point_width<A: SerdeObject + CurveAffine>() -> usize {
  A::generator().to_raw_bytes().len()
}

/// Appends the raw encoding of `point`.
fn put_point<A: SerdeObject>(point: &A, out: &mut Vec<u8>) {
  // Writing to a Vec cannot fail.
  let _ = point.write_raw(out);
}

/// A point from its raw encoding: canonical coordinates, on the curve (or
/// the identity, which halo2curves writes as `(0, 0)`).
fn get_point<A: SerdeObject + CurveAffine>(bytes: &[u8]) -> Option<A> {
  A::from_raw_bytes(bytes).filter(|p| bool::from(p.is_on_curve()))
}

/// `#[serde(with = "crate::raw_serde::points")]`: a vector of affine points,
/// in raw mode one byte string of uncompressed points.
pub mod points {
  use super::*;

  /// Serializes `points` (as the derive would unless in raw mode).
  #[allow(clippy::ptr_arg)] // the same impl as the derive's, `Vec<A>`'s
  pub fn serialize<S: Serializer, A: Serialize + SerdeObject + CurveAffine>(
    points: &Vec<A>,
    serializer: S,
  ) -> Result<S::Ok, S::Error> {
    if is_raw() {
      serialize_blob(points, point_width::<A>(), put_point, serializer)
    } else {
      points.serialize(serializer)
    }
  }

  /// Deserializes points (as the derive would unless in raw mode).
  pub fn deserialize<'de, D, A>(deserializer: D) -> Result<Vec<A>, D::Error>
  where
    D: Deserializer<'de>,
    A: Deserialize<'de> + SerdeObject + CurveAffine,
  {
    if is_raw() {
      deserialize_blob(deserializer, point_width::<A>(), "point", get_point)
    } else {
      Vec::<A>::deserialize(deserializer)
    }
  }
}

/// `#[serde(with = "crate::raw_serde::point")]`: one affine point, in raw
/// mode a byte string of one uncompressed point.
pub mod point {
  use super::*;

  /// Serializes `point` (as the derive would unless in raw mode).
  pub fn serialize<S: Serializer, A: Serialize + SerdeObject + CurveAffine>(
    point: &A,
    serializer: S,
  ) -> Result<S::Ok, S::Error> {
    if is_raw() {
      serialize_blob(
        std::slice::from_ref(point),
        point_width::<A>(),
        put_point,
        serializer,
      )
    } else {
      point.serialize(serializer)
    }
  }

  /// Deserializes a point (as the derive would unless in raw mode).
  pub fn deserialize<'de, D, A>(deserializer: D) -> Result<A, D::Error>
  where
    D: Deserializer<'de>,
    A: Deserialize<'de> + SerdeObject + CurveAffine,
  {
    if !is_raw() {
      return A::deserialize(deserializer);
    }
    let mut one = deserialize_blob(deserializer, point_width::<A>(), "point", get_point)?;
    match (one.pop(), one.is_empty()) {
      (Some(point), true) => Ok(point),
      _ => Err(de::Error::custom("raw point: expected exactly one point")),
    }
  }
}

/// `#[serde(with = "crate::raw_serde::scalars")]`: a vector of field
/// elements, in raw mode one byte string of their canonical representations.
pub mod scalars {
  use super::*;

  /// Bytes of one field element's representation.
  fn width<F: PrimeField>() -> usize {
    F::Repr::default().as_ref().len()
  }

  /// Serializes `scalars` (as the derive would unless in raw mode).
  #[allow(clippy::ptr_arg)] // the same impl as the derive's, `Vec<F>`'s
  pub fn serialize<S: Serializer, F: PrimeField + Serialize>(
    scalars: &Vec<F>,
    serializer: S,
  ) -> Result<S::Ok, S::Error> {
    if is_raw() {
      serialize_blob(
        scalars,
        width::<F>(),
        |s, out| out.extend_from_slice(s.to_repr().as_ref()),
        serializer,
      )
    } else {
      scalars.serialize(serializer)
    }
  }

  /// Deserializes field elements (as the derive would unless in raw mode);
  /// a non-canonical representation is an error.
  pub fn deserialize<'de, D, F>(deserializer: D) -> Result<Vec<F>, D::Error>
  where
    D: Deserializer<'de>,
    F: PrimeField + Deserialize<'de>,
  {
    if !is_raw() {
      return Vec::<F>::deserialize(deserializer);
    }
    deserialize_blob(deserializer, width::<F>(), "field element", |bytes| {
      let mut repr = F::Repr::default();
      repr.as_mut().copy_from_slice(bytes);
      Option::from(F::from_repr(repr))
    })
  }
}
