//! Capture-file reader: reads a pcap or pcapng file (or standard input) in large chunks, drives
//! the pure [`CaptureParser`] and lends out [`Record`]s that point into its buffer, so packets
//! are never copied and nothing is allocated per packet.
//!
//! The buffer starts at [`CHUNK_BYTES`] and grows only to what one header, block or record may
//! need under the [`CaptureLimits`]; each refill keeps the unconsumed tail and reads as much as
//! fits. Inputs: operator-supplied files holding attacker-originated bytes; all framing checks
//! are the parser's. A file that ends inside a record is an error naming its offset, returned
//! after every complete record before it has been delivered.

pub mod read_ahead;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use self::read_ahead::{HEADROOM, ReadAhead};
use crate::proto::pcap::{CaptureError, CaptureLimits, CaptureParser, Format, Parsed, Record};

/// Initial buffer size and preferred read size.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Why a capture file could not be read to the end.
#[derive(Debug, thiserror::Error)]
pub enum CaptureFileError {
    /// The file could not be opened.
    #[error("cannot open capture file {path}: {source}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Reading failed.
    #[error("reading the capture failed after {offset} bytes: {source}")]
    Read {
        /// Bytes read successfully before the failure.
        offset: u64,
        /// The operating system's error.
        source: io::Error,
    },
    /// The parser asked for more bytes than the buffer may hold (a limit inconsistency).
    #[error("the item at offset {offset} needs {needed} bytes, above the buffer limit of {limit}")]
    ItemTooLarge {
        /// File offset of the item.
        offset: u64,
        /// Bytes it needs.
        needed: usize,
        /// The buffer limit.
        limit: usize,
    },
    /// The bytes are not a well-formed capture (including a truncated last record).
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// A capture being read record by record.
pub struct CaptureFile<R> {
    reader: R,
    parser: CaptureParser,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    max_buffer: usize,
    bytes_read: u64,
    done: bool,
    /// Chunks read ahead, parsed in place (see [`Self::fill_ahead`]); `reader` is unused then.
    ahead: Option<ReadAhead>,
}

impl CaptureFile<File> {
    /// Opens a capture file with the default limits.
    ///
    /// # Errors
    /// [`CaptureFileError::Open`] when the file cannot be opened.
    pub fn open(path: &Path) -> Result<Self, CaptureFileError> {
        let file = File::open(path).map_err(|source| CaptureFileError::Open {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self::from_reader(file, CaptureLimits::default()))
    }
}

impl CaptureFile<Box<dyn Read + Send>> {
    /// Opens `path`, or standard input when `path` is `-`, read ahead on a thread of its own
    /// ([`read_ahead`]).
    ///
    /// # Errors
    /// [`CaptureFileError::Open`] when the file cannot be opened or the read-ahead thread cannot
    /// start.
    pub fn open_or_stdin(path: &Path, limits: CaptureLimits) -> Result<Self, CaptureFileError> {
        let open_error = |source| CaptureFileError::Open {
            path: path.to_owned(),
            source,
        };
        let ahead = if path == Path::new("-") {
            ReadAhead::new(io::stdin())
        } else {
            ReadAhead::new(File::open(path).map_err(open_error)?)
        }
        .map_err(open_error)?;
        let mut file = Self::from_reader(Box::new(io::empty()) as Box<dyn Read + Send>, limits);
        file.ahead = Some(ahead);
        Ok(file)
    }
}

impl<R: Read> CaptureFile<R> {
    /// Reads a capture from any reader.
    pub fn from_reader(reader: R, limits: CaptureLimits) -> Self {
        let max_buffer = limits.max_item_bytes().max(CHUNK_BYTES);
        Self {
            reader,
            parser: CaptureParser::new(limits),
            buf: vec![0; CHUNK_BYTES],
            start: 0,
            end: 0,
            max_buffer,
            bytes_read: 0,
            done: false,
            ahead: None,
        }
    }

    /// The next packet, borrowed from the buffer until the next call; `None` at a clean end of
    /// file.
    ///
    /// # Errors
    /// A read failure or a malformed or truncated capture. After an error the reader is
    /// finished: further calls return `Ok(None)`.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CaptureFileError> {
        if self.done {
            return Ok(None);
        }
        match self.advance() {
            Ok(Some((record, at, len))) => {
                let data = self.buf.get(at..at + len).unwrap_or_default();
                Ok(Some(Record { data, ..record }))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(error) => {
                self.done = true;
                Err(error)
            }
        }
    }

    /// Calls `f` with every remaining packet; returns how many there were.
    ///
    /// # Errors
    /// As [`next_record`](Self::next_record); the packets before the error were delivered.
    pub fn for_each(&mut self, mut f: impl FnMut(Record<'_>)) -> Result<u64, CaptureFileError> {
        let mut count = 0;
        while let Some(record) = self.next_record()? {
            f(record);
            count += 1;
        }
        Ok(count)
    }

    /// Bytes read from the reader so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The capture format, once the first header has been read.
    pub fn format(&self) -> Option<Format> {
        self.parser.format()
    }

    /// Parses until the next record: returns it with an empty `data` plus the buffer range of
    /// its data (start, length), so the borrow of the buffer ends before the caller re-borrows
    /// it.
    fn advance(&mut self) -> Result<Option<(Record<'static>, usize, usize)>, CaptureFileError> {
        loop {
            let input = self.buf.get(self.start..self.end).unwrap_or_default();
            match self.parser.parse(input)? {
                Parsed::Record { consumed, record } => {
                    // The record's data is a sub-slice of the buffer: its address difference
                    // is its offset.
                    let at =
                        (record.data.as_ptr() as usize).wrapping_sub(self.buf.as_ptr() as usize);
                    let len = record.data.len();
                    self.start += consumed;
                    let meta = Record {
                        data: &[],
                        ..record
                    };
                    return Ok(Some((meta, at, len)));
                }
                Parsed::Skipped { consumed } => self.start += consumed,
                Parsed::NeedMore { at_least } => {
                    if !self.fill(at_least)? {
                        let rest = self.buf.get(self.start..self.end).unwrap_or_default();
                        self.parser.finish(rest)?;
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Reads until at least `at_least` unconsumed bytes are buffered; false at end of file.
    fn fill(&mut self, at_least: usize) -> Result<bool, CaptureFileError> {
        if at_least > self.max_buffer {
            return Err(CaptureFileError::ItemTooLarge {
                offset: self.parser.offset(),
                needed: at_least,
                limit: self.max_buffer,
            });
        }
        if self.ahead.is_some() {
            return self.fill_ahead(at_least);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if at_least > self.buf.len() {
            let grown = (self.buf.len() * 2).clamp(at_least, self.max_buffer);
            self.buf.resize(grown, 0);
        }
        while self.end < at_least {
            let free = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.reader.read(free) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    self.bytes_read += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(CaptureFileError::Read {
                        offset: self.bytes_read,
                        source,
                    });
                }
            }
        }
        Ok(true)
    }

    /// [`Self::fill`] from read-ahead chunks without copying them: the unparsed tail (at most
    /// [`HEADROOM`] bytes, usually part of one packet) is put in the next chunk's headroom and
    /// that chunk becomes the buffer. A longer tail (a record larger than the headroom) gets the
    /// chunk appended behind it instead.
    fn fill_ahead(&mut self, at_least: usize) -> Result<bool, CaptureFileError> {
        while self.end - self.start < at_least {
            let Some(ahead) = self.ahead.as_mut() else {
                return Ok(false);
            };
            let chunk = match ahead.next_chunk() {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(false),
                Err(source) => {
                    return Err(CaptureFileError::Read {
                        offset: self.bytes_read,
                        source,
                    });
                }
            };
            self.bytes_read += (chunk.len() - HEADROOM) as u64;
            let tail = self.end - self.start;
            if tail <= HEADROOM {
                let mut chunk = chunk;
                let at = HEADROOM - tail;
                if let (Some(to), Some(from)) = (
                    chunk.get_mut(at..HEADROOM),
                    self.buf.get(self.start..self.end),
                ) {
                    to.copy_from_slice(from);
                }
                self.end = chunk.len();
                self.start = at;
                let spent = std::mem::replace(&mut self.buf, chunk);
                ahead.recycle(spent);
            } else {
                self.buf.copy_within(self.start..self.end, 0);
                self.buf.truncate(tail);
                self.buf
                    .extend_from_slice(chunk.get(HEADROOM..).unwrap_or_default());
                self.start = 0;
                self.end = self.buf.len();
                ahead.recycle(chunk);
            }
        }
        Ok(true)
    }
}
