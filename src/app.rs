//! app (pending).
