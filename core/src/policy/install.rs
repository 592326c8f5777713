//! Install-time checks that compare an offered policy with what is installed: no
//! rollback, ownership of the policy id, bounded version steps.

use super::{PolicyError, VerifiedPolicy};

/// The highest version a policy may have on its first install on a device.
pub const MAX_FIRST_VERSION: u64 = 1_000_000;
/// The most one update may raise a policy's version, so that no signer can lock the
/// owner out by jumping towards the largest version.
pub const MAX_VERSION_STEP: u64 = 1_000;

/// Checks that `offered` may replace `installed` (the installed version of the same
/// policy id, `None` when none is):
/// - its version is strictly greater (no rollback, no silent re-install of a version
///   whose bytes might differ), and at most [`MAX_VERSION_STEP`] greater
///   ([`MAX_FIRST_VERSION`] on a first install);
/// - it has the same owner: its chain starts at the same root, and its signer's
///   namespace is the installed version's or an ancestor's (a prefix of it; a root
///   signing directly is every namespace's ancestor). Any other key's version of an
///   installed id is refused with [`PolicyError::NotOwner`].
///
/// The store calls this inside the transaction that replaces the policy, so a refusal
/// leaves the installed policy untouched.
pub fn check_update(
    installed: Option<&VerifiedPolicy>,
    offered: &VerifiedPolicy,
) -> Result<(), PolicyError> {
    let Some(installed) = installed else {
        if offered.version() > MAX_FIRST_VERSION {
            return Err(PolicyError::VersionJump {
                id: offered.id().to_owned(),
                installed: 0,
                offered: offered.version(),
                limit: MAX_FIRST_VERSION,
            });
        }
        return Ok(());
    };
    let same_root = offered.root_key_id() == installed.root_key_id();
    let namespace_owned = match (offered.namespace(), installed.namespace()) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(offered), Some(installed)) => installed.starts_with(offered),
    };
    if !same_root || !namespace_owned {
        return Err(PolicyError::NotOwner {
            id: offered.id().to_owned(),
            owner: owner(installed),
            offered: owner(offered),
        });
    }
    if offered.version() <= installed.version() {
        return Err(PolicyError::Rollback {
            id: offered.id().to_owned(),
            installed: installed.version(),
            offered: offered.version(),
        });
    }
    if offered.version() - installed.version() > MAX_VERSION_STEP {
        return Err(PolicyError::VersionJump {
            id: offered.id().to_owned(),
            installed: installed.version(),
            offered: offered.version(),
            limit: MAX_VERSION_STEP,
        });
    }
    Ok(())
}

/// Who signed a version, for messages: the root and the namespace under it.
fn owner(policy: &VerifiedPolicy) -> String {
    match policy.namespace() {
        Some(namespace) => format!("root {} (namespace `{namespace}`)", policy.root_key_id()),
        None => format!("root {}", policy.root_key_id()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::test_support::{test_key, today, verified};

    #[test]
    fn a_first_install_and_a_newer_version_are_accepted() {
        let key = test_key();
        let offered = verified(&key, "sh-arrivals", 3, today());
        assert_eq!(check_update(None, &offered), Ok(()));
        let installed = verified(&key, "sh-arrivals", 2, today());
        assert_eq!(check_update(Some(&installed), &offered), Ok(()));
    }

    #[test]
    fn rejects_rollback_to_an_older_or_equal_version() {
        let key = test_key();
        let offered = verified(&key, "sh-arrivals", 3, today());
        for installed in [3, 4, u64::from(u32::MAX)] {
            let installed = verified(&key, "sh-arrivals", installed, today());
            assert_eq!(
                check_update(Some(&installed), &offered),
                Err(PolicyError::Rollback {
                    id: "sh-arrivals".into(),
                    installed: installed.version(),
                    offered: 3,
                })
            );
        }
    }

    #[test]
    fn another_roots_version_of_an_installed_id_is_refused() {
        let owner = test_key();
        let other = test_key();
        let installed = verified(&owner, "sh-arrivals", 1, today());
        let offered = verified(&other, "sh-arrivals", 5, today());
        let error = check_update(Some(&installed), &offered).unwrap_err();
        assert_eq!(error.code(), "PolicyNotOwner");
        assert!(error.to_string().contains(owner.key_id()), "{error}");
    }

    #[test]
    fn versions_move_in_bounded_steps() {
        let key = test_key();
        let installed = verified(&key, "sh-arrivals", 1, today());
        let step = verified(&key, "sh-arrivals", 1 + MAX_VERSION_STEP, today());
        assert_eq!(check_update(Some(&installed), &step), Ok(()));
        let jump = verified(&key, "sh-arrivals", 2 + MAX_VERSION_STEP, today());
        assert_eq!(
            check_update(Some(&installed), &jump).unwrap_err().code(),
            "PolicyVersionJump"
        );
        let huge = verified(&key, "sh-arrivals", i64::MAX as u64, today());
        assert_eq!(
            check_update(None, &huge).unwrap_err().code(),
            "PolicyVersionJump"
        );
        let first = verified(&key, "sh-arrivals", MAX_FIRST_VERSION, today());
        assert_eq!(check_update(None, &first), Ok(()));
    }
}
