//! Revocation through the real binaries on loopback HTTPS: the root revokes the version a
//! person reports under (`selfreport-authority revoke`), the drop box relays the list
//! (`serve --revocations`), `policy update` installs it, and from then on nothing is
//! sealed or sent under that version; `policy list` and the ledger say why.

use selfreport_tests::loopback::Loopback;
use serde_json::Value;

#[test]
fn a_revoked_version_relayed_by_the_drop_box_stops_everything_under_it() {
    let mut net = Loopback::start();
    net.report(2, 0);
    net.grant_consent();
    assert_eq!(net.sync(&[])["delivered"], 1);

    let policies = net.selfreport(&["policy", "list", "--json"]).json();
    let version = policies[0]["version"].as_u64().expect("version");
    let list = net.ws.path().join("revocations.json");
    let key = net.ws.authority_dir().join("signing.key");
    net.ws
        .authority(&[
            "revoke",
            "--key",
            &key.to_string_lossy(),
            "--policy",
            &format!("sh-daily-health@{version}"),
            "--reason",
            "privilege-withdrawn",
            "--out",
            &list.to_string_lossy(),
        ])
        .success();

    // The operator restarts the drop box with the root's list; devices learn it from
    // `policy update`.
    let addr = net.kill_endpoint();
    net.config.revocations = Some(list);
    net.restart_endpoint(addr);
    net.report(1, 1);
    let updated = net
        .selfreport(&["policy", "update", "sh-daily-health"])
        .success()
        .to_owned();
    assert!(updated.contains("REVOKED"), "{updated}");
    assert!(updated.contains("authorization was withdrawn"), "{updated}");
    let listed = net.selfreport(&["policy", "list"]).success().to_owned();
    assert!(listed.contains("REVOKED"), "{listed}");
    let held = net.selfreport(&["policy", "revocations"]).single_line();
    assert!(held.starts_with("revocation list 1 of root"), "{held}");

    let connections = net.proxy.connections();
    let after = net.sync(&[]);
    assert_eq!(
        (&after["queued"], &after["delivered"]),
        (&Value::from(0), &Value::from(0)),
        "{after}"
    );
    assert_eq!(after["under_revoked_policy"], 1, "{after}");
    assert_eq!(net.proxy.connections(), connections, "nothing is sent");
    let said = net.selfreport(&["sync"]).success().to_owned();
    assert!(
        said.contains("1 saved record under a policy its root revoked"),
        "{said}"
    );
    assert_eq!(net.stored_submissions().len(), 1);

    let ledger = net.selfreport(&["ledger", "--json", "--verify"]).json();
    let last = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .find(|entry| entry["event"] == "policy_revoked")
        .expect("a policy_revoked entry")
        .clone();
    assert_eq!(last["reason"], "privilege-withdrawn");
    assert_eq!(last["revoked"], "version");
    assert_eq!(ledger["verification"]["problem"], Value::Null);

    // Installing the same list again from the file changes nothing.
    let again = net
        .selfreport(&[
            "policy",
            "revocations",
            &net.config
                .revocations
                .clone()
                .expect("list")
                .to_string_lossy(),
        ])
        .success()
        .to_owned();
    assert!(again.starts_with("already held"), "{again}");
}
