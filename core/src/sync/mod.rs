//! Getting sealed submissions to the authorized endpoint: the wire format, the outbox,
//! the pinned transport, retries and receipts.

mod engine;
pub mod json_integer;
pub mod notice_batch;
pub mod receipt_tree;
pub mod retry;
pub mod transport;
pub mod wire;

#[cfg(test)]
pub(crate) mod test_server;

pub(crate) use engine::{
    Attempt, Transports, attempt_batch, disclosure_digest, disclosure_entry, fits_batch,
    new_deletion_token, payload, seal_disclosure,
};
pub use engine::{BATCH_ITEMS, CancelToken, SyncEvent, SyncOptions, SyncReport};
