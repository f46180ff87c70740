//! A response body that streams a byte range of a file from disk in bounded chunks, so serving a
//! 1 GB image costs one buffer, not 1 GB. Reads are positional (`pread`) on the blocking pool, one
//! chunk ahead of nothing: memory per download is one [`CHUNK_BYTES`] buffer.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::task::JoinHandle;

/// Bytes read per frame: one positional read on the blocking pool, handed to TLS without a copy.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Streams `remaining` bytes of a file from `offset`; or a small fixed body (errors, empty
/// responses).
#[derive(Debug)]
pub enum FileBody {
    /// File bytes.
    File {
        /// The open file (shared with the read in flight).
        file: Arc<File>,
        /// Offset of the next byte to send.
        offset: u64,
        /// Bytes still to send.
        remaining: u64,
        /// The read in flight.
        reading: Option<JoinHandle<std::io::Result<Vec<u8>>>>,
    },
    /// A fixed body.
    Fixed(Option<Bytes>),
}

impl FileBody {
    /// `len` bytes of `file` from `offset`.
    pub fn file(file: File, offset: u64, len: u64) -> Self {
        Self::File {
            file: Arc::new(file),
            offset,
            remaining: len,
            reading: None,
        }
    }

    /// A fixed body.
    pub fn fixed(bytes: impl Into<Bytes>) -> Self {
        Self::Fixed(Some(bytes.into()))
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self::Fixed(None)
    }
}

/// Reads up to `want` bytes at `offset`, retrying short reads until EOF.
fn read_chunk(file: &File, offset: u64, want: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        let at = offset + filled as u64;
        match file.read_at(&mut buf[filled..], at) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            Self::Fixed(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Self::File {
                file,
                offset,
                remaining,
                reading,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let task = reading.get_or_insert_with(|| {
                    let want =
                        usize::try_from(*remaining).map_or(CHUNK_BYTES, |r| r.min(CHUNK_BYTES));
                    let (file, at) = (Arc::clone(file), *offset);
                    tokio::task::spawn_blocking(move || read_chunk(&file, at, want))
                });
                let done = ready!(Pin::new(task).poll(cx));
                *reading = None;
                let chunk = match done {
                    Ok(Ok(chunk)) => chunk,
                    Ok(Err(e)) => return Poll::Ready(Some(Err(e))),
                    Err(e) => return Poll::Ready(Some(Err(std::io::Error::other(e)))),
                };
                if chunk.is_empty() {
                    // The file shrank under us: end with an error, never a short body that
                    // looks complete.
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "file shorter than announced",
                    ))));
                }
                let n = chunk.len() as u64;
                *offset += n;
                *remaining = remaining.saturating_sub(n);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Fixed(bytes) => bytes.is_none(),
            Self::File { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Fixed(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Self::File { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    fn file_of(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut tmp, bytes).unwrap();
        let f = File::open(tmp.path()).unwrap();
        (tmp, f)
    }

    #[tokio::test]
    async fn streams_a_range_across_several_chunks() {
        let data: Vec<u8> = (0..CHUNK_BYTES * 2 + 1000)
            .map(|i| (i % 251) as u8)
            .collect();
        let (_tmp, f) = file_of(&data);
        let start = 777;
        let len = (data.len() - start - 10) as u64;
        let body = FileBody::file(f, start as u64, len);
        assert_eq!(body.size_hint().exact(), Some(len));
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], &data[start..data.len() - 10]);
    }

    #[tokio::test]
    async fn a_file_shorter_than_announced_ends_in_an_error() {
        let (_tmp, f) = file_of(b"short");
        let body = FileBody::file(f, 0, 100);
        let err = body.collect().await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
