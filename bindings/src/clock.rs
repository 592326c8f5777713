//! The device's clock for apps: UTC from the system, the zone offset from the C library's
//! `localtime_r`, which reads the platform's own time-zone settings (Android's bionic and
//! Apple's libc follow the zone the person set, and a traveler's change of zone).
//!
//! The core's `SystemClock` asks chrono's `Local` instead, whose own reader of the zone
//! database costs ~18 KB of the shipped library for what the C library already does.

use chrono::{DateTime, FixedOffset, Offset as _, Utc};
use selfreport_core::Clock;

/// The platform's clock.
#[derive(Debug, Default)]
pub(crate) struct PlatformClock;

impl Clock for PlatformClock {
    fn now(&self) -> DateTime<FixedOffset> {
        let now = Utc::now();
        let offset = local_offset_seconds(now.timestamp())
            .and_then(FixedOffset::east_opt)
            .unwrap_or_else(|| Utc.fix());
        now.with_timezone(&offset)
    }
}

/// Seconds east of UTC of the local zone at the Unix time `at`, as `localtime_r` gives
/// them; `None` if the C library cannot tell.
#[cfg(unix)]
#[allow(unsafe_code)]
// `time_t` is 64 bits here but 32 on 32-bit Android (armv7, i686).
#[allow(clippy::useless_conversion)]
fn local_offset_seconds(at: i64) -> Option<i32> {
    let time: libc::time_t = at.try_into().ok()?;
    let mut broken_down = std::mem::MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: `localtime_r` is the reentrant form: it writes only into the `tm` it is
    // given (a valid, zeroed, exclusively borrowed value here) and reads only `time`. It
    // returns null on failure, when `tm` is not to be read.
    let filled = unsafe { libc::localtime_r(&time, broken_down.as_mut_ptr()) };
    if filled.is_null() {
        return None;
    }
    // SAFETY: `localtime_r` succeeded, so it filled every field; zeroed memory was already
    // a valid `tm` (integers and, on some platforms, a pointer that may be null).
    let broken_down = unsafe { broken_down.assume_init() };
    i32::try_from(broken_down.tm_gmtoff).ok()
}

/// Elsewhere (no C library zone to ask): chrono's own reader.
#[cfg(not(unix))]
fn local_offset_seconds(at: i64) -> Option<i32> {
    use chrono::TimeZone as _;
    let utc = DateTime::from_timestamp(at, 0)?;
    Some(
        chrono::Local
            .offset_from_utc_datetime(&utc.naive_utc())
            .local_minus_utc(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C library and chrono's reader of the zone database agree, across a year (so
    /// across daylight saving time where the zone has it).
    #[test]
    fn the_offset_is_the_local_zones() {
        use chrono::TimeZone as _;
        let start = Utc::now().timestamp();
        for day in 0..366 {
            let at = start + day * 86_400;
            let utc = DateTime::from_timestamp(at, 0).unwrap();
            let expected = chrono::Local
                .offset_from_utc_datetime(&utc.naive_utc())
                .local_minus_utc();
            assert_eq!(local_offset_seconds(at), Some(expected), "day {day}");
        }
        let now = PlatformClock.now();
        assert!((now.timestamp() - Utc::now().timestamp()).abs() < 5);
    }
}
