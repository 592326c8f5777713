//! What a delegation allows its subject: the constraints, how a child's constraints must
//! lie within its parent's (link by link, like X.509 name constraints), and how a policy
//! must lie within the constraints of the key that signed it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::disclosure_order::{Step, at_most, at_most_named};
use super::region::all_within;
use super::{PolicyDocument, PolicyError};

/// One constraint of a delegation, named in refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// Policy ids must start with the namespace.
    Namespace,
    /// The policy's purpose must be one of these.
    Purpose,
    /// The regions served must lie within these.
    Region,
    /// Device retention at most this.
    DeviceDays,
    /// Server retention at most this.
    ServerDays,
    /// The endpoint's host must be one of these.
    EndpointHost,
    /// Uploaded field kinds, each with the weakest transform it may use.
    Kind,
    /// The validity window.
    Window,
    /// How many more links may follow.
    Depth,
}

impl Constraint {
    /// The constraint's name as written in delegations (`"namespace"`, `"kinds"`...).
    pub fn name(self) -> &'static str {
        match self {
            Constraint::Namespace => "namespace",
            Constraint::Purpose => "purposes",
            Constraint::Region => "regions",
            Constraint::DeviceDays => "max_device_days",
            Constraint::ServerDays => "max_server_days",
            Constraint::EndpointHost => "endpoint_hosts",
            Constraint::Kind => "kinds",
            Constraint::Window => "validity window",
            Constraint::Depth => "depth",
        }
    }
}

/// What a delegation's subject may sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraints {
    /// Policy ids it may sign start with this (`"sh-"`).
    pub namespace: String,
    /// Purpose codes it may state (a subset of [`super::purpose::PURPOSES`]).
    pub purposes: Vec<String>,
    /// GB/T 2260 codes of the regions it serves.
    pub regions: Vec<String>,
    /// Longest device retention it may declare, in days.
    pub max_device_days: u32,
    /// Longest server retention it may declare, in days.
    pub max_server_days: u32,
    /// Hosts its endpoints may use: a host name, or `.example.org` for any host under it.
    pub endpoint_hosts: Vec<String>,
    /// Field kinds it may upload (by kind name), each with the weakest transform allowed.
    /// A kind not listed may be collected but never uploaded. `text` listed here is the
    /// explicit permission free text needs to be uploaded at all.
    pub kinds: BTreeMap<String, Step>,
    /// How many more delegations may follow this one (0: its subject signs policies only).
    pub depth: u32,
}

/// A delegation's window and constraints, as checked against its parent's.
pub(crate) struct Link<'a> {
    pub(crate) valid_from: NaiveDate,
    pub(crate) valid_until: NaiveDate,
    pub(crate) constraints: &'a Constraints,
}

impl Constraints {
    /// The constraints a child link breaks by being wider than `self` (its parent); one
    /// entry per constraint, empty when the child lies within.
    pub(crate) fn widened_by(
        &self,
        parent: &Link<'_>,
        child: &Link<'_>,
    ) -> Vec<(Constraint, String)> {
        let child_c = child.constraints;
        let mut wider = Vec::new();
        if !child_c.namespace.starts_with(&self.namespace) {
            wider.push((
                Constraint::Namespace,
                format!("`{}` is not within `{}`", child_c.namespace, self.namespace),
            ));
        }
        if let Some(purpose) = child_c.purposes.iter().find(|p| !self.purposes.contains(p)) {
            wider.push((Constraint::Purpose, format!("`{purpose}` is not allowed")));
        }
        if !all_within(&child_c.regions, &self.regions) {
            wider.push((
                Constraint::Region,
                "a region lies outside the parent's".to_owned(),
            ));
        }
        if child_c.max_device_days > self.max_device_days {
            wider.push((
                Constraint::DeviceDays,
                format!("{} > {}", child_c.max_device_days, self.max_device_days),
            ));
        }
        if child_c.max_server_days > self.max_server_days {
            wider.push((
                Constraint::ServerDays,
                format!("{} > {}", child_c.max_server_days, self.max_server_days),
            ));
        }
        if let Some(host) = child_c
            .endpoint_hosts
            .iter()
            .find(|host| !host_allowed(&self.endpoint_hosts, host))
        {
            wider.push((Constraint::EndpointHost, format!("`{host}` is not allowed")));
        }
        for (kind, step) in &child_c.kinds {
            let within = self
                .kinds
                .get(kind)
                .is_some_and(|limit| at_most_named(kind, *step, *limit));
            if !within {
                wider.push((
                    Constraint::Kind,
                    format!("`{kind}` up to `{}` is wider", step.name()),
                ));
            }
        }
        if child.valid_from < parent.valid_from || child.valid_until > parent.valid_until {
            wider.push((
                Constraint::Window,
                format!(
                    "{}..{} is not within {}..{}",
                    child.valid_from, child.valid_until, parent.valid_from, parent.valid_until
                ),
            ));
        }
        if self.depth == 0 || child_c.depth >= self.depth {
            wider.push((
                Constraint::Depth,
                format!(
                    "the parent allows {} more link(s), the child claims {}",
                    self.depth, child_c.depth
                ),
            ));
        }
        wider
    }

    /// Every way `policy` lies outside these constraints (and the window `valid_from`..
    /// `valid_until` of the delegation that carries them), as refusals.
    pub(crate) fn refusals(
        &self,
        window: (NaiveDate, NaiveDate),
        policy: &PolicyDocument,
    ) -> Vec<PolicyError> {
        let outside = |constraint: Constraint, detail: String| PolicyError::OutsideDelegation {
            constraint: constraint.name(),
            detail,
        };
        let mut refusals = Vec::new();
        if !policy.id.starts_with(&self.namespace) {
            refusals.push(outside(
                Constraint::Namespace,
                format!(
                    "policy id `{}` is not in namespace `{}`",
                    policy.id, self.namespace
                ),
            ));
        }
        if !self.purposes.contains(&policy.purpose.code) {
            refusals.push(outside(
                Constraint::Purpose,
                format!("purpose `{}` is not delegated", policy.purpose.code),
            ));
        }
        if !all_within(&policy.region, &self.regions) {
            refusals.push(outside(
                Constraint::Region,
                "a region the policy serves lies outside the delegation's".to_owned(),
            ));
        }
        if policy.retention.device_days > self.max_device_days {
            refusals.push(outside(
                Constraint::DeviceDays,
                format!(
                    "{} > {}",
                    policy.retention.device_days, self.max_device_days
                ),
            ));
        }
        if policy.retention.server_days > self.max_server_days {
            refusals.push(outside(
                Constraint::ServerDays,
                format!(
                    "{} > {}",
                    policy.retention.server_days, self.max_server_days
                ),
            ));
        }
        match endpoint_host(&policy.endpoint.url) {
            Some(host) if host_allowed(&self.endpoint_hosts, &host) => {}
            host => refusals.push(outside(
                Constraint::EndpointHost,
                format!("host `{}` is not delegated", host.unwrap_or_default()),
            )),
        }
        for form in &policy.forms {
            for field in form.fields.iter().filter(|field| field.upload.uploads()) {
                let step = Step::of(&field.upload);
                let within = self
                    .kinds
                    .get(field.kind.name())
                    .is_some_and(|limit| at_most(&field.kind, step, *limit));
                if !within {
                    refusals.push(outside(
                        Constraint::Kind,
                        format!(
                            "field `{}` of form `{}`: kind `{}` uploaded as `{}` is not delegated",
                            field.id,
                            form.id,
                            field.kind.name(),
                            step.name()
                        ),
                    ));
                }
            }
        }
        if policy.valid_from < window.0 || policy.valid_until > window.1 {
            refusals.push(outside(
                Constraint::Window,
                format!(
                    "the policy's {}..{} is not within the delegation's {}..{}",
                    policy.valid_from, policy.valid_until, window.0, window.1
                ),
            ));
        }
        refusals
    }
}

/// Whether `host` is one of `allowed`: equal to a host name (ASCII case-insensitive), or
/// under a `.suffix` entry (`.example.org` allows `a.example.org`, and `.a.example.org`).
pub(crate) fn host_allowed(allowed: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    allowed.iter().any(|entry| {
        let entry = entry.to_ascii_lowercase();
        if entry.starts_with('.') {
            host.ends_with(&entry) && host.len() > entry.len()
        } else {
            host == entry
        }
    })
}

/// The host of an `https` endpoint URL (lowercase, without port or brackets).
pub(crate) fn endpoint_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0,
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_exactly_or_under_a_dot_suffix() {
        let allowed = vec![
            "report.example.org".to_owned(),
            ".sh.example.org".to_owned(),
        ];
        assert!(host_allowed(&allowed, "report.example.org"));
        assert!(host_allowed(&allowed, "REPORT.example.org"));
        assert!(host_allowed(&allowed, "a.sh.example.org"));
        assert!(host_allowed(&allowed, ".b.sh.example.org"));
        assert!(!host_allowed(&allowed, "sh.example.org"));
        assert!(!host_allowed(&allowed, "evilsh.example.org"));
        assert!(!host_allowed(&allowed, "example.org"));
    }

    #[test]
    fn endpoint_hosts_are_read_from_urls() {
        assert_eq!(
            endpoint_host("https://Report.example.org:8443/v1").as_deref(),
            Some("report.example.org")
        );
        assert_eq!(
            endpoint_host("https://[::1]:8443/v1").as_deref(),
            Some("::1")
        );
        assert_eq!(
            endpoint_host("https://127.0.0.1/v1").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(endpoint_host("nonsense"), None);
    }
}
