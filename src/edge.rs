//! edge (pending).
