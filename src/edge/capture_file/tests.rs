//! Reader tests: records delivered unchanged across chunk boundaries (a reader returning a few
//! bytes at a time, records larger than the initial buffer), byte counts, truncated and empty
//! files, files opened by path.

use std::io::{self, Read};

use super::*;
use crate::proto::pcap::build::{
    enhanced_packet, interface_description, pcap_header, pcap_record, section_header,
};
use crate::proto::pcap::{CaptureError, LinkType};

/// A reader that returns at most `step` bytes per call and is sometimes interrupted.
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
    calls: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = self.step.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn records(count: usize, len: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| (0..len + i % 7).map(|b| (b + i) as u8).collect())
        .collect()
}

fn classic_file(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = pcap_header(LinkType::Ethernet, 0, true).to_vec();
    for (i, frame) in frames.iter().enumerate() {
        pcap_record(i as u64, frame, true, &mut bytes);
    }
    bytes
}

fn read_all<R: Read>(file: &mut CaptureFile<R>) -> (Vec<Vec<u8>>, Option<CaptureFileError>) {
    let mut seen = Vec::new();
    loop {
        match file.next_record() {
            Ok(Some(record)) => seen.push(record.data.to_vec()),
            Ok(None) => return (seen, None),
            Err(e) => return (seen, Some(e)),
        }
    }
}

#[test]
fn delivers_every_record_across_many_chunks() {
    // About 3 MiB: many refills of the buffer.
    let frames = records(2_000, 1_500);
    let bytes = classic_file(&frames);
    let mut file = CaptureFile::from_reader(bytes.as_slice(), CaptureLimits::default());
    let (seen, error) = read_all(&mut file);
    assert!(error.is_none());
    assert_eq!(seen, frames);
    assert_eq!(file.bytes_read(), bytes.len() as u64);
    assert_eq!(file.next_record().unwrap(), None);
}

#[test]
fn a_reader_returning_a_few_bytes_at_a_time_gives_the_same_records() {
    let frames = records(50, 100);
    let mut bytes = Vec::new();
    section_header(&mut bytes);
    interface_description(LinkType::Raw, 0, None, &mut bytes);
    for (i, frame) in frames.iter().enumerate() {
        enhanced_packet(0, i as u64, frame, &mut bytes);
    }
    let reader = Trickle {
        bytes,
        at: 0,
        step: 7,
        calls: 0,
    };
    let mut file = CaptureFile::from_reader(reader, CaptureLimits::default());
    let mut count = 0;
    let total = file
        .for_each(|record| {
            assert_eq!(record.data, frames[count]);
            assert_eq!(record.timestamp_ns, count as u64 * 1_000);
            count += 1;
        })
        .unwrap();
    assert_eq!(total, 50);
    assert_eq!(file.format(), Some(Format::PcapNg));
}

#[test]
fn grows_the_buffer_for_records_larger_than_a_chunk() {
    let limits = CaptureLimits {
        max_record_bytes: 3 << 20,
        max_block_bytes: 4 << 20,
        max_interfaces: 4,
    };
    let frames = vec![vec![1; 10], vec![2; (2 << 20) + 3], vec![3; 10]];
    let bytes = classic_file(&frames);
    let mut file = CaptureFile::from_reader(bytes.as_slice(), limits);
    let (seen, error) = read_all(&mut file);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(seen, frames);
}

#[test]
fn a_truncated_last_record_is_an_error_after_the_complete_ones() {
    let frames = records(3, 40);
    let bytes = classic_file(&frames);
    let cut = bytes.len() - 5;
    let last_offset = cut - (16 + frames[2].len() - 5);
    let mut file = CaptureFile::from_reader(&bytes[..cut], CaptureLimits::default());
    let (seen, error) = read_all(&mut file);
    assert_eq!(seen, frames[..2]);
    let Some(CaptureFileError::Capture(CaptureError::Truncated {
        offset,
        needed,
        available,
    })) = error
    else {
        panic!("expected truncation, got {error:?}");
    };
    assert_eq!(offset, last_offset as u64);
    assert_eq!(
        (needed, available),
        (16 + frames[2].len(), 16 + frames[2].len() - 5)
    );
    assert_eq!(file.next_record().unwrap(), None);
}

#[test]
fn empty_and_foreign_files_are_errors() {
    let mut file = CaptureFile::from_reader(&b""[..], CaptureLimits::default());
    assert!(matches!(
        file.next_record(),
        Err(CaptureFileError::Capture(CaptureError::Empty))
    ));
    let mut file = CaptureFile::from_reader(&b"\x7fELF...."[..], CaptureLimits::default());
    assert!(matches!(
        file.next_record(),
        Err(CaptureFileError::Capture(CaptureError::NotACapture { .. }))
    ));
}

#[test]
fn opens_files_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pcap");
    let frames = records(10, 64);
    std::fs::write(&path, classic_file(&frames)).unwrap();
    let (seen, error) = read_all(&mut CaptureFile::open(&path).unwrap());
    assert!(error.is_none());
    assert_eq!(seen, frames);
    let (seen, _) =
        read_all(&mut CaptureFile::open_or_stdin(&path, CaptureLimits::default()).unwrap());
    assert_eq!(seen, frames);
    let missing = dir.path().join("missing.pcap");
    assert!(
        matches!(CaptureFile::open(&missing), Err(CaptureFileError::Open { path, .. }) if path == missing)
    );
}

#[test]
fn read_ahead_parses_in_place_across_chunks_and_large_records() {
    // Small records straddle chunk boundaries (the tail goes to the next chunk's headroom);
    // records larger than the headroom take the appending path; a truncated end is still found.
    let mut frames = records(1_500, 1_400);
    for (i, len) in [100_000usize, 200_000, 70_000].into_iter().enumerate() {
        frames.insert(300 + i * 400, vec![i as u8; len]);
    }
    let bytes = classic_file(&frames);
    assert!(bytes.len() > 8 * CHUNK_BYTES);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let mut file = CaptureFile::open_or_stdin(&path, CaptureLimits::default()).unwrap();
    let (seen, error) = read_all(&mut file);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(seen, frames);
    assert_eq!(file.bytes_read(), bytes.len() as u64);

    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let mut file = CaptureFile::open_or_stdin(&path, CaptureLimits::default()).unwrap();
    let (seen, error) = read_all(&mut file);
    assert_eq!(seen.len(), frames.len() - 1);
    assert!(matches!(
        error,
        Some(CaptureFileError::Capture(CaptureError::Truncated { .. }))
    ));
}
