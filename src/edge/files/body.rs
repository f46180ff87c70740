//! A response body that streams a byte range of a file from disk in bounded chunks, so serving a
//! 1 GB image costs one buffer, not 1 GB.

use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

/// Bytes read per frame.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Streams `remaining` bytes from an open file positioned at the range start; or a small fixed
/// body (errors, empty responses).
#[derive(Debug)]
pub enum FileBody {
    /// File bytes.
    File {
        /// The file, already positioned at the first byte to send.
        file: tokio::fs::File,
        /// Bytes still to send.
        remaining: u64,
    },
    /// A fixed body.
    Fixed(Option<Bytes>),
}

impl FileBody {
    /// A fixed body.
    pub fn fixed(bytes: impl Into<Bytes>) -> Self {
        Self::Fixed(Some(bytes.into()))
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self::Fixed(None)
    }
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
            Self::File { file, remaining } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = usize::try_from(*remaining).map_or(CHUNK_BYTES, |r| r.min(CHUNK_BYTES));
                let mut buf = vec![0u8; want];
                let mut read = ReadBuf::new(&mut buf);
                match Pin::new(file).poll_read(cx, &mut read) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(())) => {
                        let n = read.filled().len();
                        if n == 0 {
                            // The file shrank under us: end with an error, never a short body
                            // that looks complete.
                            return Poll::Ready(Some(Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "file shorter than announced",
                            ))));
                        }
                        *remaining -= n as u64;
                        buf.truncate(n);
                        Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
                    }
                }
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
