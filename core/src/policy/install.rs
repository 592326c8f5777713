//! Install-time checks that compare an offered policy with what is installed.

use super::{PolicyError, VerifiedPolicy};

/// Checks that `offered` may replace the installed version of the same policy id:
/// its version must be strictly greater (no rollback, no silent re-install of a version
/// whose bytes might differ). `installed` is `None` when no version is installed.
///
/// The store calls this inside the transaction that replaces the policy, so a refusal
/// leaves the installed policy untouched.
pub fn check_update(installed: Option<u64>, offered: &VerifiedPolicy) -> Result<(), PolicyError> {
    match installed {
        Some(installed) if offered.version() <= installed => Err(PolicyError::Rollback {
            id: offered.id().to_owned(),
            installed,
            offered: offered.version(),
        }),
        _ => Ok(()),
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
        assert_eq!(check_update(Some(2), &offered), Ok(()));
    }

    #[test]
    fn rejects_rollback_to_an_older_or_equal_version() {
        let key = test_key();
        let offered = verified(&key, "sh-arrivals", 3, today());
        for installed in [3, 4, u64::from(u32::MAX)] {
            assert_eq!(
                check_update(Some(installed), &offered),
                Err(PolicyError::Rollback {
                    id: "sh-arrivals".into(),
                    installed,
                    offered: 3,
                })
            );
        }
    }
}
