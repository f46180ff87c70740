//! Read-ahead for a capture: a thread reads the next chunks of the input while the caller parses
//! the current one, so the kernel's copy out of the page cache (or out of a pipe) overlaps with
//! the audit instead of adding to it.
//!
//! Memory is bounded: at most [`DEPTH`] chunks of [`CHUNK_BYTES`](super::CHUNK_BYTES) wait in
//! the channel, plus the one being consumed; consumed chunks go back to the thread for reuse.
//! A read error is delivered in order, after the bytes read before it. Dropping the reader ends
//! the thread at its next chunk (a thread blocked on a read of standard input ends with the
//! process).

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

use super::CHUNK_BYTES;

/// Chunks read ahead at most.
pub const DEPTH: usize = 4;
/// Free room at the front of every chunk, where a consumer can put the unparsed tail of the
/// previous chunk instead of copying the new chunk behind it ([`ReadAhead::next_chunk`]).
pub const HEADROOM: usize = 64 * 1024;

/// A [`Read`] whose reads are served from chunks a background thread reads ahead.
pub struct ReadAhead {
    chunks: Receiver<io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    ended: bool,
}

impl ReadAhead {
    /// Starts reading `inner` on a new thread.
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn new<R: Read + Send + 'static>(mut inner: R) -> io::Result<Self> {
        let (tx, chunks) = mpsc::sync_channel(DEPTH);
        let (spent, recycled) = mpsc::sync_channel::<Vec<u8>>(DEPTH + 1);
        std::thread::Builder::new()
            .name("capture-read".into())
            .spawn(move || {
                loop {
                    let mut buf = recycled.try_recv().unwrap_or_default();
                    buf.resize(HEADROOM + CHUNK_BYTES, 0);
                    let (n, error) = fill(&mut inner, buf.get_mut(HEADROOM..).unwrap_or_default());
                    buf.truncate(HEADROOM + n);
                    if n > 0 && tx.send(Ok(buf)).is_err() {
                        return;
                    }
                    if let Some(e) = error {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    if n < CHUNK_BYTES {
                        // End of input: an empty chunk says so.
                        let _ = tx.send(Ok(Vec::new()));
                        return;
                    }
                }
            })?;
        Ok(Self {
            chunks,
            spent,
            current: Vec::new(),
            at: 0,
            ended: false,
        })
    }
}

impl ReadAhead {
    /// The next chunk whole, for a consumer that parses in place: its first [`HEADROOM`] bytes
    /// are free room, the input's next bytes (at least one) follow. `None` at the end of the
    /// input. Hand it back with [`Self::recycle`] when done.
    ///
    /// # Errors
    /// The input's read error, in order after the bytes before it.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.ended {
            return Ok(None);
        }
        match self.chunks.recv() {
            Ok(Ok(chunk)) if chunk.len() > HEADROOM => Ok(Some(chunk)),
            Ok(Ok(_)) => {
                self.ended = true;
                Ok(None)
            }
            Ok(Err(e)) => {
                self.ended = true;
                Err(e)
            }
            Err(_) => {
                self.ended = true;
                Err(io::Error::other("the capture read-ahead thread stopped"))
            }
        }
    }

    /// Gives a spent chunk back to the reading thread for reuse.
    pub fn recycle(&mut self, chunk: Vec<u8>) {
        if chunk.capacity() > 0 {
            let _ = self.spent.try_send(chunk);
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read and the error that
/// stopped the reading, if any.
fn fill(inner: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match inner.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.at >= self.current.len() {
            if self.ended {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) if chunk.len() > HEADROOM => {
                    let spent = std::mem::replace(&mut self.current, chunk);
                    self.at = HEADROOM;
                    self.recycle(spent);
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Ok(Ok(_)) => self.ended = true,
                Err(_) => {
                    self.ended = true;
                    return Err(io::Error::other("the capture read-ahead thread stopped"));
                }
            }
        }
        let rest = self.current.get(self.at..).unwrap_or_default();
        let n = rest.len().min(out.len());
        out.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns its bytes in reads of at most `step`, then fails once if `fail` is set.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() && self.fail {
                self.fail = false;
                return Err(io::Error::other("disk on fire"));
            }
            let n = (self.data.len() - self.at).min(out.len()).min(self.step);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn delivers_every_byte_in_order_across_chunks() {
        let bytes = data(3 * CHUNK_BYTES + 12_345);
        let inner = Trickle {
            data: bytes.clone(),
            at: 0,
            step: 70_000,
            fail: false,
        };
        let mut r = ReadAhead::new(inner).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(r.read(&mut [0; 8]).unwrap(), 0);
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let bytes = data(5_000);
        let inner = Trickle {
            data: bytes.clone(),
            at: 0,
            step: 1_000,
            fail: true,
        };
        let mut r = ReadAhead::new(inner).unwrap();
        let mut out = vec![0; 5_000];
        r.read_exact(&mut out).unwrap();
        assert_eq!(out, bytes);
        let err = r.read(&mut [0; 8]).unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
        assert_eq!(r.read(&mut [0; 8]).unwrap(), 0);
    }

    #[test]
    fn chunks_leave_headroom_and_carry_every_byte() {
        let bytes = data(2 * CHUNK_BYTES + 77);
        let inner = Trickle {
            data: bytes.clone(),
            at: 0,
            step: 300_000,
            fail: false,
        };
        let mut r = ReadAhead::new(inner).unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = r.next_chunk().unwrap() {
            assert!(chunk.len() > HEADROOM && chunk.len() <= HEADROOM + CHUNK_BYTES);
            out.extend_from_slice(&chunk[HEADROOM..]);
            r.recycle(chunk);
        }
        assert_eq!(out, bytes);
        assert!(r.next_chunk().unwrap().is_none());
    }

    #[test]
    fn an_empty_input_ends_at_once() {
        let mut r = ReadAhead::new(io::empty()).unwrap();
        assert_eq!(r.read(&mut [0; 8]).unwrap(), 0);
    }
}
