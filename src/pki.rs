//! pki (pending).
