//! Checkpoints (see issue: resume).
