//! What a submission carries besides the record's fields (docs/protocol.md, "The
//! plaintext"): the county of the enrollment order it was filed under, in the health parts
//! of a form filed under orders, and the person's notice key, in the identity parts under a
//! policy with access notices. Which part carries which is decided here, once: sealing,
//! the padded-size bound and the authority's strict check all ask [`carries`].

use crate::notice::NoticeKey;
use crate::policy::{Form, FormEnrollment, PolicyDocument, RecipientRole};

/// Which header keys beyond the fixed ones a real (not cover-traffic) part carries, by
/// its recipient's role and the policy ([`carries`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carries {
    /// `monitoring_district`: a health-role part of a form filed under enrollment orders.
    pub monitoring_district: bool,
    /// `notice_key`: an identity-role part under a policy with `access_notices`.
    pub notice_key: bool,
}

/// The header keys a real (not cover-traffic) part of `form` for `recipient` carries.
pub fn carries(policy: &PolicyDocument, form: &Form, recipient: &str) -> Carries {
    let role = policy
        .recipients
        .get(recipient)
        .and_then(|recipient| recipient.role);
    Carries {
        monitoring_district: role == Some(RecipientRole::Health)
            && form.enrollment == FormEnrollment::Required,
        notice_key: role == Some(RecipientRole::Identity) && policy.access_notices,
    }
}

/// What a submission carries besides the record's fields: the monitoring district of the
/// enrollment order the record was filed under, and the person's notice key for the
/// policy. Each goes only into the parts that carry it (docs/protocol.md, "The plaintext").
#[derive(Debug, Clone, Default)]
pub struct Carried {
    /// The order's county code, for a form filed under enrollment orders.
    pub monitoring_district: Option<String>,
    /// The notice key, under a policy with `access_notices`.
    pub notice_key: Option<NoticeKey>,
}

/// A county-level GB/T 2260 code (`310104`), as an enrollment order names.
pub(super) fn is_county_code(code: &str) -> bool {
    crate::policy::region::RegionCode::parse(code).is_some() && !code.ends_with("00")
}
