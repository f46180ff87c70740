//! Tests of the stream reassembler.
