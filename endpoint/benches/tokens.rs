//! Upload token costs at the drop box (issue 14): one blind signature per token issued
//! (`blind-rsa-signatures`, RSA-2048 with CRT, the result checked against the public key),
//! and one verification per token spent (core's `Token::verifies`, RSASSA-PSS-SHA384 on
//! ring). Each iteration handles one token; the inputs are made by the core as a device
//! makes them (`PendingToken`).

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput};
use selfreport_core::token::{IssuerKey, PendingToken, TokenChallenge};
use selfreport_endpoint::token_key::IssuerSecretKey;

fn tokens(c: &mut Criterion) {
    let secret = IssuerSecretKey::generate().unwrap();
    let public = IssuerKey::from_spki(secret.spki()).unwrap();
    let digest = TokenChallenge::for_policy("report.example.org", "sh-arrivals")
        .digest()
        .unwrap();
    let mut group = c.benchmark_group("tokens");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("issue_one", |b| {
        b.iter_batched(
            || PendingToken::new(&public, &digest).unwrap().1.blinded_msg,
            |blinded| secret.blind_sign(&blinded).unwrap(),
            BatchSize::SmallInput,
        );
    });
    let (pending, request) = PendingToken::new(&public, &digest).unwrap();
    let token = pending
        .finish(&public, &secret.blind_sign(&request.blinded_msg).unwrap())
        .unwrap();
    group.bench_function("verify_one", |b| {
        b.iter(|| assert!(token.verifies(&public, &digest)));
    });
    group.finish();
}

// Written out rather than `criterion_group!`/`criterion_main!`, whose generated public
// function has no documentation.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    tokens(&mut criterion);
    criterion.final_summary();
}
