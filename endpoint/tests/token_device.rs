//! A real device against the real drop box with upload tokens (issue 14): the core's own
//! store and sync, enrolled by the authority's order, fetching its order's tokens and
//! open-intake tokens from `POST {url}/tokens` and spending one per upload; the drop box
//! keeps exactly one spent token per stored submission. A device that cannot get a token
//! (its order's allowance spent) sends nothing and tries again later.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/phone.rs"]
mod phone;
#[allow(dead_code)]
#[path = "common/token_box.rs"]
mod token_box;

use common::Backend;
use phone::Phone;
use selfreport_core::sync::SyncReport;
use token_box::{TokenBox, day, spent_rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_device_and_a_traveler_pay_each_upload_with_a_token() {
    let drop_box = TokenBox::start(Backend::Sqlite).await;
    let phone = Phone::new(&drop_box);

    // The daily form is filed under an order: the order's whole allowance comes at once.
    phone.enrolled_father_reports(&drop_box);
    let first = phone.sync().await;
    assert_eq!(
        (first.delivered, first.retry_later, first.failed),
        (1, 0, 0),
        "{first:?}"
    );
    let pool = phone.core.store().token_pool("sh-arrivals").unwrap();
    assert_eq!(pool.obtained.len(), 1);
    assert_eq!(
        pool.obtained[0].1, 14,
        "14 days of one report each, no cover traffic"
    );
    assert_eq!(pool.enrolled.len(), 13);

    // A traveler's pre-registration is open intake: open tokens, fetched when needed.
    phone.pre_registered_traveler(day(2));
    let second = phone.sync().await;
    assert_eq!(
        (second.delivered, second.retry_later, second.failed),
        (1, 0, 0),
        "{second:?}"
    );
    assert!(
        !phone
            .core
            .store()
            .token_pool("sh-arrivals")
            .unwrap()
            .open
            .is_empty()
    );

    // One spent token per stored submission; nothing sent twice.
    assert_eq!(drop_box.inner.stored_count().await, 2);
    assert_eq!(spent_rows(&drop_box.inner).await, 2);
    assert_eq!(phone.sync().await, SyncReport::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_drop_box_issues_no_token_nothing_is_sent() {
    let drop_box = TokenBox::start(Backend::Sqlite).await;
    let phone = Phone::new(&drop_box);
    let order = phone.enrolled_father_reports(&drop_box);
    // The order's whole allowance (14 days of one report, and the drop box's slack of 16)
    // taken by someone else holding the same order: the drop box signs no more under it.
    let allowance = 14 + 16;
    let taken = drop_box.enrolled_tokens(&order, allowance).await;
    assert_eq!(taken.len(), allowance);
    let report = phone.sync().await;
    assert_eq!((report.delivered, report.retry_later), (0, 1), "{report:?}");
    assert_eq!(drop_box.inner.stored_count().await, 0);
    assert_eq!(spent_rows(&drop_box.inner).await, 0);
}
