//! Connections that cannot hold the drop box: a cap on open connections, an idle timeout
//! (no byte in either direction), and a time limit on reading a request's headers.
//!
//! Issue 14's probe kept 200 connections each sending a header byte every 5 s, and 200 TLS
//! connections sending nothing, open past 75 s. Now a connection above the cap is closed
//! as soon as it is accepted; one with no traffic for the idle timeout is closed, before
//! or after its TLS handshake; and HTTP/1 headers must arrive whole within the header
//! timeout however slowly they trickle (hyper's `header_read_timeout`). The TLS handshake
//! keeps its own 10 s limit, and a request (body included) its 30 s limit.

use std::future::{Future as _, Ready, ready};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Open connections at most, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// How long a connection may stay silent (no byte either way), by default: longer than
/// a request may take ([`super::DEFAULT_REQUEST_TIMEOUT`]), so that no request in flight
/// (waiting on the database, say) is cut by it.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(35);
/// How long a client may take to send a request's headers, by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The limits on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// A connection with no byte in either direction for this long is closed.
    pub idle_timeout: Duration,
    /// A request's headers must arrive whole within this.
    pub header_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
        }
    }
}

/// The acceptor that runs before TLS: takes a slot under the cap (or closes the
/// connection) and puts the idle timeout around the socket.
#[derive(Clone)]
pub(crate) struct ConnectionGuard {
    slots: Arc<Semaphore>,
    idle_timeout: Duration,
    refused: Arc<AtomicU64>,
}

impl ConnectionGuard {
    pub(crate) fn new(limits: ConnectionLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            idle_timeout: limits.idle_timeout,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<S> Accept<TcpStream, S> for ConnectionGuard {
    type Stream = Guarded<TcpStream>;
    type Service = S;
    type Future = Ready<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        match self.slots.clone().try_acquire_owned() {
            Ok(slot) => ready(Ok((Guarded::new(stream, self.idle_timeout, slot), service))),
            Err(_) => {
                // Dropping the stream closes it; counted, never logged per connection (the
                // log would become the flood's amplifier).
                self.refused.fetch_add(1, Ordering::Relaxed);
                ready(Err(io::Error::other("connection cap reached")))
            }
        }
    }
}

/// A socket that fails with `TimedOut` once no byte has moved either way for the idle
/// timeout, and that holds its slot under the connection cap until it is dropped.
pub(crate) struct Guarded<T> {
    inner: T,
    idle_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    _slot: OwnedSemaphorePermit,
}

impl<T> Guarded<T> {
    fn new(inner: T, idle_timeout: Duration, slot: OwnedSemaphorePermit) -> Self {
        Self {
            inner,
            idle_timeout,
            deadline: Box::pin(tokio::time::sleep(idle_timeout)),
            _slot: slot,
        }
    }

    fn progressed(&mut self) {
        let next = Instant::now() + self.idle_timeout;
        self.deadline.as_mut().reset(next);
    }

    /// `Ready(Err(TimedOut))` once the deadline has passed (registering the waker until
    /// then, so a silent connection is woken to be closed).
    fn expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection was idle too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => match self.expired(cx) {
                Poll::Ready(error) => Poll::Ready(Err(error)),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match self.expired(cx) {
                Poll::Ready(error) => Poll::Ready(Err(error)),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
