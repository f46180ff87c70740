//! audit (pending).
