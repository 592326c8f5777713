//! The web application's database connections: a few, made as needed, each serving one
//! request at a time, and replaced when the server closed them (a restart, a network
//! failure), so a database that comes back is used again without restarting the console.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::Client;

use crate::error::ConsoleError;

/// Makes one new connection (its connection task already spawned).
pub type Connect = Box<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<Client, ConsoleError>> + Send>> + Send + Sync,
>;

/// Connections the console opens unless told otherwise.
pub const DEFAULT_CONNECTIONS: usize = 8;

/// Up to `size` connections made by `connect`.
pub struct DbPool {
    connect: Connect,
    idle: std::sync::Mutex<Vec<Client>>,
    permits: Semaphore,
}

impl DbPool {
    /// A pool of at most `size` (at least one) connections made by `connect`.
    pub fn new(size: usize, connect: Connect) -> Self {
        Self {
            connect,
            idle: std::sync::Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        }
    }

    /// A connection for the caller alone until dropped: an idle one still open, or a new
    /// one.
    pub async fn get(&self) -> Result<Pooled<'_>, ConsoleError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ConsoleError::Database("the connection pool is closed".into()))?;
        let reused = loop {
            let next = match self.idle.lock() {
                Ok(mut idle) => idle.pop(),
                Err(_) => None,
            };
            match next {
                Some(client) if client.is_closed() => continue,
                other => break other,
            }
        };
        let client = match reused {
            Some(client) => client,
            None => (self.connect)().await?,
        };
        Ok(Pooled {
            pool: self,
            client: Some(client),
            _permit: permit,
        })
    }
}

/// A connection taken from a [`DbPool`]; it goes back when dropped (unless closed).
pub struct Pooled<'a> {
    pool: &'a DbPool,
    client: Option<Client>,
    _permit: SemaphorePermit<'a>,
}

impl Deref for Pooled<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        // Present from `get` until `drop`.
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if !client.is_closed() {
                if let Ok(mut idle) = self.pool.idle.lock() {
                    idle.push(client);
                }
            }
        }
    }
}
