//! Polling the access-notice mailbox at sync (docs/protocol.md, "Access notices"): for
//! each policy with access notices that may be used now and under which the device has
//! sent a notice key, fetch the batches after the kept cursor, try every notice key the
//! device holds for the policy on every slot, and ledger what opens.
//!
//! A batch that does not come, or does not read as one, ends that policy's polling for
//! this sync with the cursor where it was: the next sync asks again. Nothing of the
//! person's is sent to poll; the drop box learns only that a device polled from a point in
//! the sequence.

use crate::error::Result;
use crate::facade::SelfReport;
use crate::ledger::{LedgerEntry, LedgerEvent};
use crate::notice::{NoticeKey, open_notice};
use crate::sync::Transports;
use crate::sync::notice_batch::parse_notice_batch;
use crate::sync::transport::TransportConfig;

/// Most batches fetched per policy in one sync.
pub const MAX_BATCHES_PER_SYNC: usize = 16;

impl SelfReport {
    /// Polls every mailbox the device has a notice key for; the number of notices found.
    pub(crate) async fn poll_notices(
        &self,
        transports: &mut Transports,
        config: &TransportConfig,
    ) -> Result<u32> {
        let mut found = 0u32;
        for policy in self.store().policies()? {
            if !policy.document().access_notices || self.usable_policy(policy.id())?.is_none() {
                continue;
            }
            let mut keys: Vec<NoticeKey> = Vec::new();
            for profile in self.store().profiles()? {
                if let Some(key) = self.store().notice_key(&profile.id, policy.id(), false)? {
                    keys.push(key);
                }
            }
            if keys.is_empty() {
                // No submission ever carried a key: nobody could have addressed a notice.
                continue;
            }
            let Ok(transport) = transports.get(&policy, config) else {
                continue;
            };
            let transport = transport.clone();
            let mut cursor = self.store().notice_cursor(policy.id())?;
            for _ in 0..MAX_BATCHES_PER_SYNC {
                let Ok(reply) = transport.fetch_notices(cursor).await else {
                    break;
                };
                if reply.status != 200 {
                    break;
                }
                let Ok(batch) = parse_notice_batch(&reply.body, cursor) else {
                    break;
                };
                let mut entries = Vec::new();
                for slot in &batch.slots {
                    // Another person's notice, filler, or (for a malformed one the
                    // authority sealed) nothing to show: only notices that open are kept.
                    let opened = keys
                        .iter()
                        .find_map(|key| open_notice(key, slot).ok().flatten());
                    let Some(notice) = opened.filter(|notice| notice.policy_id == policy.id())
                    else {
                        continue;
                    };
                    entries.push(LedgerEntry {
                        at: self.now_string(),
                        event: LedgerEvent::AccessNotice {
                            policy_id: notice.policy_id,
                            submission_id: notice.submission_id,
                            office: notice.office,
                            officer: notice.officer,
                            reason: notice.reason,
                            revealed_at: notice.at,
                        },
                    });
                }
                found = found.saturating_add(u32::try_from(entries.len()).unwrap_or(u32::MAX));
                self.store()
                    .record_notices(policy.id(), &entries, batch.next)?;
                cursor = batch.next;
                if !batch.more {
                    break;
                }
            }
        }
        Ok(found)
    }
}
