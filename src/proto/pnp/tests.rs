//! Tests of the PnP codec: the message samples of pnp.md §5 (reconstructed from the shapes the
//! spec documents; the original bytes are not in the repository), render → parse round trips for
//! every service, input limits, and property tests that the parser never panics.

mod limits;
mod roundtrip;
mod samples;
