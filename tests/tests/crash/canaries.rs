//! The crash suite's canary scan at the end of a round: the values typed into the
//! profile and the reports are nowhere in the clear.

use std::collections::BTreeSet;

use selfreport_tests::canary::{Finding, read_paths};
use selfreport_tests::crash::{Scenario, open_store};
use selfreport_tests::loopback::Loopback;

/// The canaries are nowhere in the clear: store files, the drop box's database and log,
/// the wire, the children's stderr. The same scan finds them in the decrypted export.
pub(crate) fn scan_for_canaries(
    net: &Loopback,
    child_logs: &str,
    scenario: Scenario,
    context: &str,
) {
    let scanner = net.canaries.scanner();
    let store = open_store(&net.ws.store()).expect("open the store");
    let export = serde_json::to_vec(&store.export().expect("export")).expect("export JSON");
    drop(store);
    let shown: BTreeSet<String> = scanner
        .scan_bytes("export", &export)
        .into_iter()
        .map(|finding| finding.field)
        .collect();
    for field in [
        "display_name",
        "name",
        "id_number",
        "phone",
        "birth_date",
        "passport",
        "district",
        "notes",
        "temperature (stored tenths)",
    ] {
        if field == "district" && scenario == Scenario::Tokens {
            // The traveler policy's daily form asks for no district: its order names one.
            continue;
        }
        assert!(
            shown.contains(field),
            "the export does not show {field}, so the scan would prove nothing: {shown:?} \
             ({context})"
        );
    }

    let mut findings = scanner.scan_paths(&[net.ws.store()]);
    let drop_box_files = read_paths(&net.database_files());
    assert!(!drop_box_files.is_empty(), "no drop box database files");
    findings.extend(scanner.scan_files(&drop_box_files));
    findings.extend(scanner.scan_log("drop box log", &net.endpoint_log()));
    findings.extend(scanner.scan_log("children's stderr", child_logs));
    let wire = [
        ("wire, client to server", net.proxy.client_to_server()),
        ("wire, server to client", net.proxy.server_to_client()),
    ];
    for (place, bytes) in &wire {
        assert!(bytes.len() > 1000, "{place}: only {} bytes", bytes.len());
        findings.extend(scanner.scan_bytes(place, bytes));
    }
    assert_eq!(
        findings,
        Vec::<Finding>::new(),
        "typed values in the clear ({context})"
    );
}
