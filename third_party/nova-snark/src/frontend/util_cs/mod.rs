//! The `util_cs` module provides a set of utilities for working with constraint system

pub mod test_cs;
pub mod witness_cs;
