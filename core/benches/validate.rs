//! Parsing and checking the identity kinds whose rules come from tables (issue 18): a
//! phone number by libphonenumber's rules, a resident ID and a district against GB/T 2260.
//!
//! `cargo bench -p selfreport-core --bench validate`. A country code's territories are read
//! out of the metadata, and each pattern compiled, on first use and kept: this measures the
//! warm check a save or the authority's `open` pays per number (about 5 µs here; it was
//! about 200-280 µs while every call compiled its country's patterns again).

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::Criterion;
use selfreport_core::model::{FieldKind, parse_answer};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("validate");
    let cases = [
        ("phone_cn_mobile", FieldKind::Phone, "+86 138 0013 8000"),
        (
            "phone_cn_fixed_trunk_prefix",
            FieldKind::Phone,
            "+86 021 5674 8728",
        ),
        ("phone_us", FieldKind::Phone, "+1 202 555 0100"),
        ("phone_nanpa_invalid", FieldKind::Phone, "+1 555 555 5555"),
        ("resident_id", FieldKind::ResidentId, "11010519491231002X"),
        ("district", FieldKind::District, "310104"),
    ];
    for (name, kind, text) in cases {
        assert!(
            parse_answer("f", &kind, text, today()).is_ok() || name.ends_with("invalid"),
            "{name}"
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(parse_answer("f", &kind, black_box(text), today())))
        });
    }
    group.finish();
    criterion.final_summary();
}
