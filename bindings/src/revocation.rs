//! Revocation as apps see it (issue 13): the lists held, where each policy stands, and
//! what installing a list stopped. Reasons are stable codes apps localize.

/// A root's revocation list held on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RevocationListInfo {
    /// The root's key id.
    pub root_key_id: String,
    /// Its sequence number (lists only move forward).
    pub sequence: u64,
    /// The day it was issued, `YYYY-MM-DD`.
    pub issued_at: String,
    /// The day the next list is due, `YYYY-MM-DD`.
    pub next_update: String,
    /// Whether today is past `next_update`: reported, not a revocation.
    pub stale: bool,
    /// Delegations it revokes.
    pub revoked_delegations: u64,
    /// Policy versions it revokes.
    pub revoked_policies: u64,
}

/// Where an installed policy stands with its root's revocation list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RevocationStatus {
    /// Nothing revokes it; `list` is the list held for its root, if any.
    NotRevoked {
        /// The list held for its root.
        list: Option<RevocationListInfo>,
    },
    /// Its installed version is revoked: nothing is sealed or sent under it.
    VersionRevoked {
        /// The version revoked.
        version: u64,
        /// The reason's code: `key-compromise`, `superseded`, `ceased-operation` or
        /// `privilege-withdrawn`.
        reason: String,
        /// The list that revoked it.
        list: RevocationListInfo,
    },
    /// A delegation of its chain is revoked: nothing is sealed or sent under it.
    DelegationRevoked {
        /// The key id of the revoked delegation's subject (the collector's key).
        subject_key_id: String,
        /// The reason's code.
        reason: String,
        /// The list that revoked it.
        list: RevocationListInfo,
    },
}

/// What installing a revocation list did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RevocationUpdate {
    /// The list now held.
    pub list: RevocationListInfo,
    /// Whether it was new (false: the very list was held already).
    pub changed: bool,
    /// Installed policies it newly stops, by id.
    pub revoked_policies: Vec<String>,
    /// Queued submissions dropped unsent because of it.
    pub dropped: u64,
}

pub(crate) fn list_info(info: selfreport_core::RevocationListInfo) -> RevocationListInfo {
    RevocationListInfo {
        root_key_id: info.root_key_id,
        sequence: info.sequence,
        issued_at: info.issued_at.to_string(),
        next_update: info.next_update.to_string(),
        stale: info.stale,
        revoked_delegations: info.revoked_delegations,
        revoked_policies: info.revoked_policies,
    }
}

pub(crate) fn status(status: selfreport_core::RevocationStatus) -> RevocationStatus {
    use selfreport_core::RevocationStatus as Core;
    match status {
        Core::NotRevoked { list } => RevocationStatus::NotRevoked {
            list: list.map(list_info),
        },
        Core::VersionRevoked {
            version,
            reason,
            list,
        } => RevocationStatus::VersionRevoked {
            version,
            reason: reason.code().to_owned(),
            list: list_info(list),
        },
        Core::DelegationRevoked {
            subject_key_id,
            reason,
            list,
        } => RevocationStatus::DelegationRevoked {
            subject_key_id,
            reason: reason.code().to_owned(),
            list: list_info(list),
        },
    }
}

pub(crate) fn update(update: selfreport_core::RevocationUpdate) -> RevocationUpdate {
    RevocationUpdate {
        list: list_info(update.list),
        changed: update.changed,
        revoked_policies: update.revoked_policies,
        dropped: update.dropped,
    }
}
