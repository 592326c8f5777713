//! Delegation chains and guardrails through the whole verify path: a chain that holds,
//! each constraint widened at a link and exceeded by a policy, broken chains, owned
//! namespaces, and each guardrail.

use chrono::Days;
use serde_json::{Value, json};

use crate::crypto::signature::SigningKey;
use crate::policy::test_support::{
    delegation, fake_key, policy_v2, signed_delegation, signed_under, test_key, test_policy_value,
    today,
};
use crate::policy::{
    PolicyError, PolicyFormat, SignedPolicy, TrustAnchor, TrustAnchors, VerifiedPolicy,
    policy_refusals, sign_delegation, sign_policy, sign_policy_with_chain,
};

/// A commission root, a city office it delegates to (depth 1), a district office the
/// city delegates to (depth 0).
struct Chain {
    root: SigningKey,
    city: SigningKey,
    district: SigningKey,
    first: Value,
    second: Value,
}

impl Chain {
    fn new() -> Self {
        let city = test_key();
        let district = test_key();
        Self {
            root: test_key(),
            first: delegation(&city, 1),
            second: delegation(&district, 0),
            city,
            district,
        }
    }

    fn anchors(&self) -> TrustAnchors {
        TrustAnchor::new(self.root.public_key()).into()
    }

    fn links(&self) -> Vec<Vec<u8>> {
        vec![
            signed_delegation(&self.root, &self.first),
            signed_delegation(&self.city, &self.second),
        ]
    }

    fn verify(&self, policy: &Value) -> Result<VerifiedPolicy, PolicyError> {
        let envelope = signed_under(&self.district, policy, &self.links());
        SignedPolicy::parse(&envelope)?.verify(&self.anchors(), today())
    }
}

/// A change made to a JSON document.
type Change = Box<dyn Fn(&mut Value)>;

/// Sets (or adds) the value at `pointer`, whose parent must exist.
fn set(value: &mut Value, pointer: &str, new: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = value
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{pointer}"));
    match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), new);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = new,
        _ => panic!("{pointer}"),
    }
}

#[test]
fn a_two_link_chain_verifies_and_names_its_root_and_namespace() {
    let chain = Chain::new();
    let verified = chain.verify(&policy_v2()).unwrap();
    assert_eq!(verified.document().format, PolicyFormat::V2);
    assert_eq!(verified.document().region, vec!["310000".to_owned()]);
    assert_eq!(verified.root_key_id(), chain.root.key_id());
    assert_eq!(verified.key_id(), chain.district.key_id());
    assert_eq!(verified.namespace(), Some("sh-"));
    // Reloaded from the store's bytes, it says the same.
    let reloaded = VerifiedPolicy::from_stored(verified.envelope_bytes()).unwrap();
    assert_eq!(reloaded.root_key_id(), chain.root.key_id());
    assert_eq!(reloaded.namespace(), Some("sh-"));
}

#[test]
fn a_root_may_still_sign_a_policy_directly() {
    let root = test_key();
    let envelope = sign_policy(&root, &serde_json::to_vec(&policy_v2()).unwrap()).unwrap();
    let verified = SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&TrustAnchor::new(root.public_key()).into(), today())
        .unwrap();
    assert_eq!(verified.root_key_id(), root.key_id());
    assert_eq!(verified.namespace(), None);
}

/// One mutation of a delegation per constraint, making it wider than a parent built
/// by [`delegation`], or than the example policy needs.
fn widenings() -> Vec<(&'static str, Change)> {
    let day = |days: i64| {
        if days < 0 {
            today() - Days::new(days.unsigned_abs())
        } else {
            today() + Days::new(days as u64)
        }
        .to_string()
    };
    let (early, late) = (day(-61), day(366));
    vec![
        (
            "namespace",
            Box::new(|d| set(d, "/constraints/namespace", json!("s"))),
        ),
        (
            "purposes",
            Box::new(|d| set(d, "/constraints/purposes", json!(["contact-tracing"]))),
        ),
        (
            "regions",
            Box::new(|d| set(d, "/constraints/regions", json!(["420100"]))),
        ),
        (
            "max_device_days",
            Box::new(|d| set(d, "/constraints/max_device_days", json!(29))),
        ),
        (
            "max_server_days",
            Box::new(|d| set(d, "/constraints/max_server_days", json!(29))),
        ),
        (
            "endpoint_hosts",
            Box::new(|d| {
                set(
                    d,
                    "/constraints/endpoint_hosts",
                    json!(["evil.example.net"]),
                )
            }),
        ),
        (
            "kinds",
            Box::new(|d| set(d, "/constraints/kinds/district", json!("keep"))),
        ),
        (
            "kinds",
            Box::new(|d| set(d, "/constraints/kinds/passport_number", json!("keep"))),
        ),
        (
            "validity window",
            Box::new(move |d| set(d, "/valid_from", json!(early.clone()))),
        ),
        (
            "validity window",
            Box::new(move |d| set(d, "/valid_until", json!(late.clone()))),
        ),
        (
            "depth",
            Box::new(|d| set(d, "/constraints/depth", json!(1))),
        ),
    ]
}

#[test]
fn a_child_that_widens_its_parent_is_refused_for_each_constraint() {
    for (constraint, widen) in widenings() {
        let mut chain = Chain::new();
        widen(&mut chain.second);
        let error = chain.verify(&policy_v2()).unwrap_err();
        match &error {
            PolicyError::DelegationWidens {
                link: 2,
                constraint: found,
                ..
            } => assert_eq!(*found, constraint, "{error}"),
            other => panic!("{constraint}: {other:?}"),
        }
        assert_eq!(error.code(), "PolicyDelegationWidens");
    }
}

#[test]
fn a_third_link_is_checked_against_the_second() {
    for (constraint, widen) in widenings() {
        if constraint == "depth" {
            continue;
        }
        let root = test_key();
        let (a, b, c) = (test_key(), test_key(), test_key());
        let first = delegation(&a, 2);
        let second = delegation(&b, 1);
        let mut third = delegation(&c, 0);
        widen(&mut third);
        let links = vec![
            signed_delegation(&root, &first),
            signed_delegation(&a, &second),
            signed_delegation(&b, &third),
        ];
        let envelope = signed_under(&c, &policy_v2(), &links);
        let error = SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&TrustAnchor::new(root.public_key()).into(), today())
            .unwrap_err();
        assert!(
            matches!(&error, PolicyError::DelegationWidens { link: 3, constraint: found, .. } if *found == constraint),
            "{constraint}: {error:?}"
        );
    }
}

#[test]
fn a_parent_of_depth_zero_cannot_delegate() {
    let mut chain = Chain::new();
    set(&mut chain.first, "/constraints/depth", json!(0));
    assert!(matches!(
        chain.verify(&policy_v2()),
        Err(PolicyError::DelegationWidens {
            link: 2,
            constraint: "depth",
            ..
        })
    ));
}

#[test]
fn a_policy_outside_its_last_delegation_is_refused_for_each_constraint() {
    let cases: Vec<(&str, Change)> = vec![
        (
            "namespace",
            Box::new(|p| set(p, "/id", json!("bj-arrivals"))),
        ),
        (
            "purposes",
            Box::new(|p| set(p, "/purpose/code", json!("contact-tracing"))),
        ),
        (
            "regions",
            Box::new(|p| set(p, "/region", json!(["310000", "420100"]))),
        ),
        (
            "max_device_days",
            Box::new(|p| set(p, "/retention/device_days", json!(29))),
        ),
        (
            "max_server_days",
            Box::new(|p| set(p, "/retention/server_days", json!(29))),
        ),
        (
            "endpoint_hosts",
            Box::new(|p| set(p, "/endpoint/url", json!("https://report.example.net/v1"))),
        ),
        (
            "kinds",
            Box::new(|p| set(p, "/forms/0/fields/2/upload", json!("keep"))),
        ),
        (
            "kinds",
            Box::new(|p| {
                set(p, "/forms/1/fields/5/upload", json!("keep"));
                set(p, "/forms/1/fields/5/to", json!("identity"));
            }),
        ),
        (
            "validity window",
            Box::new(|p| {
                set(
                    p,
                    "/valid_until",
                    json!((today() + Days::new(400)).to_string()),
                )
            }),
        ),
    ];
    for (constraint, change) in cases {
        let chain = Chain::new();
        let mut policy = policy_v2();
        change(&mut policy);
        let error = chain.verify(&policy).unwrap_err();
        assert!(
            matches!(&error, PolicyError::OutsideDelegation { constraint: found, .. } if *found == constraint),
            "{constraint}: {error:?}"
        );
        assert_eq!(error.code(), "PolicyOutsideDelegation");
    }
}

#[test]
fn a_narrower_child_and_a_narrower_policy_verify() {
    let mut chain = Chain::new();
    set(&mut chain.second, "/constraints/namespace", json!("sh-a"));
    set(&mut chain.second, "/constraints/regions", json!(["310100"]));
    set(
        &mut chain.second,
        "/constraints/purposes",
        json!(["epidemic-control"]),
    );
    set(&mut chain.second, "/constraints/max_device_days", json!(14));
    set(
        &mut chain.second,
        "/constraints/kinds/district",
        json!("generalize:province"),
    );
    let mut policy = policy_v2();
    set(&mut policy, "/region", json!(["310104"]));
    set(&mut policy, "/retention/device_days", json!(14));
    set(
        &mut policy,
        "/forms/0/fields/2/upload",
        json!({"generalize": "province"}),
    );
    chain.verify(&policy).unwrap();
}

#[test]
fn broken_chains_are_refused() {
    let chain = Chain::new();
    let policy = policy_v2();
    // The second link signed by the root instead of the city office.
    let links = vec![
        signed_delegation(&chain.root, &chain.first),
        signed_delegation(&chain.root, &chain.second),
    ];
    let envelope = signed_under(&chain.district, &policy, &links);
    assert!(matches!(
        SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&chain.anchors(), today()),
        Err(PolicyError::ChainBroken { link: 2, .. })
    ));
    // A link whose signature does not verify (names the right issuer, signed by another).
    let genuine = signed_delegation(&chain.city, &chain.second);
    let impostor = signed_delegation(&test_key(), &chain.second);
    let signature_of = |bytes: &[u8]| {
        let value: Value = serde_json::from_slice(bytes).unwrap();
        value["signature"].as_str().unwrap().to_owned()
    };
    let forged = String::from_utf8(genuine.clone())
        .unwrap()
        .replace(&signature_of(&genuine), &signature_of(&impostor))
        .into_bytes();
    let links = vec![signed_delegation(&chain.root, &chain.first), forged];
    let envelope = signed_under(&chain.district, &policy, &links);
    assert!(matches!(
        SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&chain.anchors(), today()),
        Err(PolicyError::ChainBroken { link: 2, .. })
    ));
    // The policy signed by the city office, not the chain's last subject.
    let envelope = signed_under(&chain.city, &policy, &chain.links());
    assert!(matches!(
        SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&chain.anchors(), today()),
        Err(PolicyError::ChainBroken { link: 2, .. })
    ));
    // A chain that starts from a key the app does not trust.
    let envelope = signed_under(&chain.district, &policy, &chain.links());
    let other_root: TrustAnchors = TrustAnchor::new(test_key().public_key()).into();
    assert!(matches!(
        SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&other_root, today()),
        Err(PolicyError::UnknownKey { .. })
    ));
    // A /1 policy under a chain.
    let mut v1 = test_policy_value("sh-arrivals", 3, today());
    v1["format"] = json!("selfreport.policy/1");
    let envelope = signed_under(&chain.district, &v1, &chain.links());
    assert!(matches!(
        SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&chain.anchors(), today()),
        Err(PolicyError::ChainBroken { link: 0, .. })
    ));
    // An empty chain, and one too long.
    let envelope = signed_under(&chain.district, &policy, &[]);
    let with_empty = String::from_utf8(envelope)
        .unwrap()
        .replace("\"}\n", "\",\"chain\":[]}\n");
    assert!(matches!(
        SignedPolicy::parse(with_empty.as_bytes()),
        Err(PolicyError::ChainBroken { link: 0, .. })
    ));
    let long: Vec<Vec<u8>> = (0..5).map(|_| chain.links()[0].clone()).collect();
    let envelope = signed_under(&chain.district, &policy, &long);
    assert!(matches!(
        SignedPolicy::parse(&envelope),
        Err(PolicyError::ChainBroken { .. })
    ));
}

#[test]
fn a_delegation_outside_its_window_today_is_refused() {
    let mut chain = Chain::new();
    set(
        &mut chain.second,
        "/valid_until",
        json!((today() - Days::new(1)).to_string()),
    );
    set(
        &mut chain.second,
        "/valid_from",
        json!((today() - Days::new(10)).to_string()),
    );
    assert!(matches!(
        chain.verify(&policy_v2()),
        Err(PolicyError::DelegationNotValid { link: 2, .. })
    ));
}

#[test]
fn a_root_configured_with_namespaces_owns_only_those() {
    let chain = Chain::new();
    let owning_bj: TrustAnchors = TrustAnchor::new(chain.root.public_key())
        .with_namespaces(vec!["bj-".into()])
        .unwrap()
        .into();
    let envelope = signed_under(&chain.district, &policy_v2(), &chain.links());
    assert!(matches!(
        SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&owning_bj, today()),
        Err(PolicyError::DelegationWidens {
            link: 1,
            constraint: "namespace",
            ..
        })
    ));
    // Signed directly by the root: the id itself must be in its namespaces.
    let envelope = sign_policy(&chain.root, &serde_json::to_vec(&policy_v2()).unwrap()).unwrap();
    let error = SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&owning_bj, today())
        .unwrap_err();
    assert_eq!(error.code(), "PolicyNamespaceNotOwned");
    let owning_sh: TrustAnchors = TrustAnchor::new(chain.root.public_key())
        .with_namespaces(vec!["sh-".into()])
        .unwrap()
        .into();
    SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&owning_sh, today())
        .unwrap();
    // And the configuration survives its JSON form.
    let json = serde_json::to_string(&owning_sh).unwrap();
    assert!(json.contains("\"namespaces\":[\"sh-\"]"), "{json}");
    assert_eq!(
        serde_json::from_str::<TrustAnchors>(&json).unwrap(),
        owning_sh
    );
}

/// The refusal a root-signed policy changed by `change` gets.
fn guardrail(change: impl FnOnce(&mut Value)) -> PolicyError {
    let root = test_key();
    let mut policy = policy_v2();
    change(&mut policy);
    // Sizes that fit the changed routing, so the guardrail is what refuses it (a draft
    // that does not parse keeps its sizes: parsing refuses it first anyway).
    let _ = crate::policy::declare_minimum_padded_sizes(&mut policy);
    let envelope =
        crate::policy::envelope::envelope_bytes(&root, &serde_json::to_vec(&policy).unwrap());
    SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&TrustAnchor::new(root.public_key()).into(), today())
        .unwrap_err()
}

#[test]
fn each_guardrail_is_a_refusal_of_its_own() {
    let cases: Vec<(&str, Change)> = vec![
        (
            "PolicyPurposeNotAllowed",
            Box::new(|p| set(p, "/purpose/code", json!("marketing"))),
        ),
        (
            "PolicyRetentionAboveLimit",
            Box::new(|p| set(p, "/retention/device_days", json!(91))),
        ),
        (
            "PolicyRetentionAboveLimit",
            Box::new(|p| set(p, "/retention/server_days", json!(181))),
        ),
        (
            "PolicyTravelHistoryKept",
            Box::new(|p| set(p, "/forms/1/fields/4/upload", json!("keep"))),
        ),
        (
            "PolicyFreeTextUploaded",
            Box::new(|p| {
                set(p, "/forms/0/fields/3/upload", json!("keep"));
                set(p, "/forms/0/fields/3/to", json!("health"));
            }),
        ),
        (
            "PolicyIdentityNotToIdentity",
            Box::new(|p| set(p, "/forms/1/fields/0/to", json!("health"))),
        ),
        (
            "PolicyHealthNotToHealth",
            Box::new(|p| set(p, "/forms/0/fields/0/to", json!("identity"))),
        ),
        (
            "PolicyRolesShareKey",
            Box::new(|p| set(p, "/recipients/identity/public_key", json!(fake_key(0x71)))),
        ),
        (
            "PolicyBadRecipientRole",
            Box::new(|p| set(p, "/recipients/identity/role", json!("marketing"))),
        ),
    ];
    for (code, change) in cases {
        assert_eq!(guardrail(change).code(), code);
    }
    // A pseudonym of an identity field may go to the health recipient.
    let root = test_key();
    let mut policy = policy_v2();
    set(&mut policy, "/forms/1/fields/2/to", json!("health"));
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    let envelope = sign_policy(&root, &serde_json::to_vec(&policy).unwrap()).unwrap();
    SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&TrustAnchor::new(root.public_key()).into(), today())
        .unwrap();
}

#[test]
fn free_text_leaves_only_where_a_delegation_allows_it_and_only_to_health() {
    let mut chain = Chain::new();
    let mut policy = policy_v2();
    set(&mut policy, "/forms/0/fields/3/upload", json!("keep"));
    set(&mut policy, "/forms/0/fields/3/to", json!("health"));
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    // Not listed: outside the delegation (and a guardrail besides).
    assert!(chain.verify(&policy).is_err());
    set(&mut chain.first, "/constraints/kinds/text", json!("keep"));
    set(&mut chain.second, "/constraints/kinds/text", json!("keep"));
    chain.verify(&policy).unwrap();
    set(&mut policy, "/forms/0/fields/3/to", json!("identity"));
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    assert_eq!(
        chain.verify(&policy).unwrap_err().code(),
        "PolicyFreeTextUploaded"
    );
}

/// The hostile policy of issue 13: purpose `marketing`, ten years of retention, a free-text
/// home address and the hometown kept in clear. Every rule it breaks is listed.
#[test]
fn the_hostile_policy_is_refused_with_every_code_it_earns() {
    let chain = Chain::new();
    let mut policy = policy_v2();
    set(&mut policy, "/purpose/code", json!("marketing"));
    set(&mut policy, "/retention/device_days", json!(3650));
    set(&mut policy, "/retention/server_days", json!(3650));
    let fields = policy
        .pointer_mut("/forms/1/fields")
        .unwrap()
        .as_array_mut()
        .unwrap();
    fields.push(json!({"id": "home_address", "kind": "text", "max_len": 200, "upload": "keep", "to": "identity"}));
    fields.push(json!({"id": "hometown", "kind": "district", "upload": "keep", "to": "health"}));
    let payload = serde_json::to_vec(&policy).unwrap();
    let codes: Vec<&str> = policy_refusals(chain.district.key_id(), &payload, &chain.links(), None)
        .iter()
        .map(PolicyError::code)
        .collect();
    for code in [
        "PolicyOutsideDelegation",
        "PolicyPurposeNotAllowed",
        "PolicyRetentionAboveLimit",
        "PolicyFreeTextUploaded",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    // Outside the delegation: purpose, both retentions, the free text and the hometown.
    let outside: Vec<String> =
        policy_refusals(chain.district.key_id(), &payload, &chain.links(), None)
            .into_iter()
            .filter_map(|refusal| match refusal {
                PolicyError::OutsideDelegation { detail, .. } => Some(detail),
                _ => None,
            })
            .collect();
    assert!(
        outside.iter().any(|d| d.contains("home_address")),
        "{outside:?}"
    );
    assert!(
        outside.iter().any(|d| d.contains("hometown")),
        "{outside:?}"
    );
    // Neither the signing tool nor a device takes it.
    assert!(sign_policy_with_chain(&chain.district, &payload, &chain.links(), None).is_err());
    assert!(chain.verify(&policy).is_err());
}

#[test]
fn the_signing_tool_embeds_the_chain_a_device_verifies() {
    let chain = Chain::new();
    let payload = serde_json::to_vec(&policy_v2()).unwrap();
    let root = TrustAnchor::new(chain.root.public_key());
    let envelope =
        sign_policy_with_chain(&chain.district, &payload, &chain.links(), Some(&root)).unwrap();
    let verified = SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&chain.anchors(), today())
        .unwrap();
    assert_eq!(verified.payload_bytes(), payload.as_slice());
    // Signed by the wrong office, or with a first link the root did not sign: refused.
    assert!(matches!(
        sign_policy_with_chain(&chain.city, &payload, &chain.links(), Some(&root)),
        Err(PolicyError::ChainBroken { .. })
    ));
    let other_root = TrustAnchor::new(test_key().public_key());
    assert!(matches!(
        sign_policy_with_chain(&chain.district, &payload, &chain.links(), Some(&other_root)),
        Err(PolicyError::ChainBroken { link: 1, .. })
    ));
}

#[test]
fn malformed_delegations_are_typed_refusals() {
    let subject = test_key();
    let base = delegation(&subject, 0);
    let cases: Vec<Change> = vec![
        Box::new(|d| set(d, "/format", json!("selfreport.delegation/2"))),
        Box::new(|d| set(d, "/subject/public_key", json!("AAAA"))),
        Box::new(|d| set(d, "/constraints/namespace", json!(""))),
        Box::new(|d| set(d, "/constraints/namespace", json!("SH-"))),
        Box::new(|d| set(d, "/constraints/purposes", json!([]))),
        Box::new(|d| set(d, "/constraints/purposes", json!(["marketing"]))),
        Box::new(|d| {
            set(
                d,
                "/constraints/purposes",
                json!(["epidemic-control", "epidemic-control"]),
            )
        }),
        Box::new(|d| set(d, "/constraints/regions", json!([]))),
        Box::new(|d| set(d, "/constraints/regions", json!(["999999"]))),
        Box::new(|d| set(d, "/constraints/max_device_days", json!(0))),
        Box::new(|d| set(d, "/constraints/max_server_days", json!(3650))),
        Box::new(|d| set(d, "/constraints/endpoint_hosts", json!([]))),
        Box::new(|d| {
            set(
                d,
                "/constraints/endpoint_hosts",
                json!(["Report.Example.org"]),
            )
        }),
        Box::new(|d| set(d, "/constraints/kinds/temperature_c", json!("pseudonym"))),
        Box::new(|d| set(d, "/constraints/kinds/mood", json!("keep"))),
        Box::new(|d| set(d, "/constraints/kinds/district", json!("generalize"))),
        Box::new(|d| set(d, "/constraints/depth", json!(4))),
        Box::new(|d| set(d, "/valid_until", json!("2020-01-01"))),
        Box::new(|d| set(d, "/constraints/extra", json!(1))),
        Box::new(|d| set(d, "/constraints/depth", json!(-1))),
    ];
    for (n, change) in cases.into_iter().enumerate() {
        let mut document = base.clone();
        change(&mut document);
        let error =
            sign_delegation(&test_key(), &serde_json::to_vec(&document).unwrap()).unwrap_err();
        assert_eq!(error.code(), "PolicyBadDelegation", "case {n}: {error}");
    }
    sign_delegation(&test_key(), &serde_json::to_vec(&base).unwrap()).unwrap();
}

#[test]
fn a_v1_policy_installs_unchanged_and_cannot_carry_v2_fields() {
    let root = test_key();
    let anchors: TrustAnchors = TrustAnchor::new(root.public_key()).into();
    let v1 = test_policy_value("sh-daily", 1, today());
    let envelope = sign_policy(&root, &serde_json::to_vec(&v1).unwrap()).unwrap();
    let verified = SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&anchors, today())
        .unwrap();
    assert_eq!(verified.document().format, PolicyFormat::V1);
    assert!(verified.document().region.is_empty());
    assert!(
        verified
            .document()
            .recipients
            .values()
            .all(|r| r.role.is_none())
    );
    for (pointer, value) in [
        ("/region", json!(["310000"])),
        ("/recipients/health/role", json!("health")),
    ] {
        let mut v1 = test_policy_value("sh-daily", 1, today());
        v1.as_object_mut().unwrap();
        if pointer == "/region" {
            v1["region"] = value;
        } else {
            set(
                &mut v1,
                "/recipients/health",
                json!({"suite": "x25519-sha256-chacha20poly1305", "public_key": fake_key(0x71), "role": "health"}),
            );
        }
        assert_eq!(
            sign_policy(&root, &serde_json::to_vec(&v1).unwrap())
                .unwrap_err()
                .code(),
            "PolicyBadSetting",
            "{pointer}"
        );
    }
    // And /2 needs both.
    let mut v2 = policy_v2();
    v2.as_object_mut().unwrap().remove("region");
    assert_eq!(
        sign_policy(&root, &serde_json::to_vec(&v2).unwrap())
            .unwrap_err()
            .code(),
        "PolicyBadSetting"
    );
    let mut v2 = policy_v2();
    v2["recipients"]["health"]
        .as_object_mut()
        .unwrap()
        .remove("role");
    assert_eq!(
        sign_policy(&root, &serde_json::to_vec(&v2).unwrap())
            .unwrap_err()
            .code(),
        "PolicyBadRecipientRole"
    );
}
