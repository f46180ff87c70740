//! store (pending).
