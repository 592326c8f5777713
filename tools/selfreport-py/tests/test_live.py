"""Against the real binaries on loopback: a drop box (`selfreport-endpoint serve`) with a
test certificate and a policy signed at test time, a device (`selfreport` CLI) that files
two reports and syncs, and the authority's `open`. This implementation verifies what the
device got (receipts, `ledger --json`), opens what the drop box stored, and seals its own
submissions that the drop box and `open` accept."""

import copy
import json
import sqlite3

import pytest

from selfreport_wire import receipt as rc
from selfreport_wire.deletion import new_deletion_token
from selfreport_wire.errors import LedgerChainBroken
from selfreport_wire.ledger import verify_ledger
from selfreport_wire.opening import open_submission
from selfreport_wire.plaintext import Plaintext, build_plaintext
from selfreport_wire.policy import policy_from_document
from selfreport_wire.sealing import minimize, seal_submission
from selfreport_wire.signed import load_envelope, verify_policy
from selfreport_wire import suites
from selfreport_wire.sealed_body import SealedBody, SealedPart, dumps_sealed_body, parse_sealed_body
from support.authority import FORM_ID, POLICY_ID, read_key, sign_policy, start_drop_box, live_policy_document
from support.http import delete, post_json
from support.pki import make_test_pki
from support.programs import Device, free_loopback_port, run

pytestmark = pytest.mark.live
PADDED_BYTES = {"health": 1024, "identity": 1024}
PSEUDONYM = "5e" * 16
PEOPLE = {"林晓雯": "37.6", "Wang Fang": "36.6"}


class Live:
    """Everything one session of the live tests shares."""


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Keys, PKI, a signed /2 policy, a running drop box, and a device that filed and
    synced one report for each of two profiles (so its receipts come as a batch)."""
    work = tmp_path_factory.mktemp("live")
    state = Live()
    state.keys = work / "authority"
    run("selfreport-authority", "keygen", "--out", str(state.keys))
    state.pki = make_test_pki(work / "tls")
    port = free_loopback_port()
    document = live_policy_document("selfreport.policy/2", f"https://127.0.0.1:{port}/v1", state.pki,
                                    state.keys, PADDED_BYTES)
    state.signed_policy = sign_policy(state.keys, document, work)
    envelope = load_envelope(state.signed_policy.read_bytes())
    state.policy = policy_from_document(verify_policy(envelope, read_key(state.keys / "signing.pub")))
    state.private_keys = {name: read_key(state.keys / f"recipient-{name}.key") for name in ("health", "identity")}
    state.box = start_drop_box(port, work / "dropbox.db", state.pki, state.keys, state.signed_policy)
    try:
        device = Device(work / "store", state.pki.ca_pem)
        device.cli("init", "--trust", str(state.keys / "signing.pub"))
        device.cli("policy", "install", str(state.signed_policy))
        for name, temperature in PEOPLE.items():
            profile = device.cli("profile", "add", "--name", name).strip()
            device.cli("monitor", "start", "--profile", profile, "--policy", POLICY_ID, "--reason", "contact")
            device.cli("report", "--profile", profile, "--policy", POLICY_ID, "--form", FORM_ID,
                       "--answer", f"temperature={temperature}", "--answer", "symptoms=cough,fever",
                       "--answer", "district=310104", "--answer", "contact_with_case=no",
                       "--answer", "notes=kept on the phone")
        device.cli("consent", "grant", "--policy", POLICY_ID)
        state.sync = device.json("sync")
        state.ledger = device.json("ledger")
        state.device = device
        yield state
    finally:
        state.box.stop()


def stored_rows(live) -> list[tuple[str, bytes, bytes]]:
    with sqlite3.connect(live.box.db) as db:
        return [(row[0], bytes(row[1]), bytes(row[2]))
                for row in db.execute("SELECT id, body, receipt FROM submissions ORDER BY id")]


def post(live, path: str, body: bytes) -> tuple[int, bytes]:
    return post_json(live.box.url + path, body, live.pki.ca_pem)


def python_submission(live, temperature: float = 36.8):
    answers = {"name": "Li Lei", "temperature": temperature, "symptoms": ["fever"], "contact_with_case": True}
    fields = minimize(live.policy, FORM_ID, answers)
    return seal_submission(live.policy, FORM_ID, "2026-12-01", PSEUDONYM, fields)


def test_the_device_delivered_both_reports(live):
    assert live.sync["delivered"] == 2 and live.sync["failed"] == 0


def test_the_devices_ledger_verifies_from_its_printed_fields(live):
    summary = verify_ledger(live.ledger)
    assert summary.disclosures == 2
    receipts = [entry["receipt"] for entry in live.ledger["entries"] if entry.get("event") == "disclosure"]
    assert all("batch" in receipt for receipt in receipts), "two reports synced together share one batch"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda entries: entries[-1].update(policy_version=entries[-1]["policy_version"] + 1),
        lambda entries: entries[0].update(event="consent_withdrawn"),
        lambda entries: entries.pop(0),
        lambda entries: entries.reverse(),
        lambda entries: entries[-1]["receipt"].update(received_at="2020-01-01T00:00:00Z"),
        lambda entries: entries[-1].update(hash="0" * 64),
    ],
)
def test_a_changed_ledger_is_refused(live, tamper):
    printed = copy.deepcopy(live.ledger)
    tamper(printed["entries"])
    with pytest.raises(LedgerChainBroken):
        verify_ledger(printed)


def device_submission_ids(live) -> set[str]:
    return {entry["submission_id"] for entry in live.ledger["entries"] if entry.get("event") == "disclosure"}


def test_what_the_device_sent_opens_strictly_here(live):
    rows = [row for row in stored_rows(live) if row[0] in device_submission_ids(live)]
    assert len(rows) == 2
    names = set()
    for submission_id, body, stored_receipt in rows:
        opened = open_submission(body, live.policy, live.private_keys)
        assert opened.flags == [], opened.flags
        name = opened.fields("identity")["name"]
        names.add(name)
        assert opened.fields("health") == {
            "temperature": float(PEOPLE[name]) >= 37.3, "symptoms": ["fever", "cough"],
            "district": "310100", "contact_with_case": False,
        }
        receipt = rc.parse_receipt(json.loads(stored_receipt)["receipt"])
        assert receipt.batch is None, "the drop box keeps a receipt signed for each submission alone"
        rc.verify_receipt(receipt, live.policy.receipt_key)
        rc.check_receipt_names(receipt, submission_id, POLICY_ID, 1, body)
    assert names == set(PEOPLE)


def test_a_python_submission_gets_a_receipt_and_a_resend_the_same_bytes(live):
    submission = python_submission(live)
    status, reply = post(live, "/submissions", submission.body)
    assert status == 201, reply
    receipt = rc.parse_receipt(json.loads(reply)["receipt"])
    assert receipt.batch is None
    rc.verify_receipt(receipt, live.policy.receipt_key)
    rc.check_receipt_names(receipt, submission.submission_id, POLICY_ID, 1, submission.body)
    assert post(live, "/submissions", submission.body) == (200, reply)


def test_a_python_batch_gets_proofs_only_for_what_was_stored(live):
    first, second, third = (python_submission(live, t) for t in (36.5, 37.4, 38.0))
    other_body = json.loads(python_submission(live).body)
    other_body["submission_id"] = first.submission_id  # the same id, another body
    conflicting = json.dumps(other_body, separators=(",", ":")).encode()
    items = [first.body, second.body, third.body, first.body, conflicting]
    batch = b'{"format":"selfreport.batch/1","submissions":[' + b",".join(items) + b"]}"
    status, reply = post(live, "/submissions/batch", batch)
    assert status == 200, reply
    results = json.loads(reply)["results"]
    receipts = [rc.parse_receipt(result["receipt"]) for result in results[:4]]
    for submission, receipt in zip((first, second, third, first), receipts):
        rc.verify_receipt(receipt, live.policy.receipt_key)
        rc.check_receipt_names(receipt, submission.submission_id, POLICY_ID, 1, submission.body)
    assert [r.batch.index for r in receipts[:3]] == [0, 1, 2] and {r.batch.size for r in receipts[:3]} == {3}
    assert receipts[3].batch is None, "a resend in the same batch gets the kept single receipt"
    assert results[4]["error"]["status"] == 409 and "receipt" not in results[4]


def test_the_authority_opens_python_submissions_without_flags(live):
    submission = python_submission(live, 37.9)
    assert post(live, "/submissions", submission.body)[0] == 201
    result = run("selfreport-authority", "open", "--db", str(live.box.db),
                 "--key", str(live.keys / "recipient-health.key"),
                 "--key", str(live.keys / "recipient-identity.key"),
                 "--policy", str(live.signed_policy))
    opened = {entry["submission_id"]: entry for entry in json.loads(result.stdout)}
    ours = opened[submission.submission_id]
    assert ours["flags"] == [], ours["flags"]
    assert ours["pseudonym"] == PSEUDONYM and ours["form"] == FORM_ID
    # Without --case, identity values are withheld even with the identity key (issue 16).
    assert ours["recipients"] == {
        "health": {"temperature": True, "symptoms": ["fever"], "contact_with_case": True},
    }
    assert "withheld" in result.stderr and "--case PSEUDONYM" in result.stderr, result.stderr
    for submission_id in device_submission_ids(live):
        assert opened[submission_id]["flags"] == [], opened[submission_id]
    # One case, by the pseudonym the health part carries: its identity too.
    result = run("selfreport-authority", "open", "--db", str(live.box.db),
                 "--key", str(live.keys / "recipient-health.key"),
                 "--key", str(live.keys / "recipient-identity.key"),
                 "--policy", str(live.signed_policy), "--case", PSEUDONYM)
    one = {entry["submission_id"]: entry for entry in json.loads(result.stdout)}
    assert one[submission.submission_id]["recipients"]["identity"] == {"name": "Li Lei"}
    assert all(entry["pseudonym"] == PSEUDONYM for entry in one.values())
    assert result.stderr.startswith("warning:"), result.stderr


def test_a_part_of_another_size_is_refused_and_both_openers_flag_bad_padding(live):
    good = parse_sealed_body(python_submission(live).body)
    header = Plaintext(date="2026-12-01", dummy=False, fields={"name": "Li Lei"}, form=FORM_ID,
                       policy_id=POLICY_ID, policy_version=1, pseudonym=PSEUDONYM,
                       submission_id=good.submission_id)
    recipient = live.policy.recipient("identity")

    def with_identity(plaintext: bytes) -> bytes:
        enc, ct = suites.seal(recipient.suite, recipient.public_key,
                              suites.submission_info(POLICY_ID, 1, "identity"),
                              suites.submission_aad(good.submission_id), plaintext)
        parts = (good.part("health"), SealedPart("identity", enc, ct))
        return dumps_sealed_body(SealedBody(POLICY_ID, 1, good.submission_id, good.deletion_hash, parts))

    # protocol.md, "Exact sizes": each ct must be the form's padded size plus the 16-byte
    # tag, so a part padded to another size is refused and nothing is stored.
    for size in (PADDED_BYTES["identity"] - 512, PADDED_BYTES["identity"] + 1):
        status, reply = post(live, "/submissions", with_identity(build_plaintext(header, size)))
        assert status == 400 and json.loads(reply)["error"]["code"] == "Malformed", (size, reply)
    # The right size, padded with something other than spaces: the drop box cannot see
    # inside a part and stores it; both openers flag it.
    plaintext = build_plaintext(header, PADDED_BYTES["identity"])
    body = with_identity(plaintext[:-1] + b"\t")
    assert post(live, "/submissions", body)[0] == 201, "the drop box cannot see inside a part"
    ours = open_submission(body, live.policy, live.private_keys)
    assert [name for name, _ in ours.flags] == ["part:identity"]
    result = run("selfreport-authority", "open", "--db", str(live.box.db),
                 "--key", str(live.keys / "recipient-identity.key"), "--policy", str(live.signed_policy))
    theirs = {entry["submission_id"]: entry for entry in json.loads(result.stdout)}[good.submission_id]
    # protocol.md names no flag for bad padding; open says which part.
    assert theirs["flags"] and all("identity" in flag["problem"] for flag in theirs["flags"]), theirs["flags"]


def test_python_cover_traffic_is_stored_and_dropped_by_the_authority(live):
    real = python_submission(live)
    dummy = seal_submission(live.policy, FORM_ID, "2026-12-01", PSEUDONYM, {}, dummy=True)
    assert len(dummy.body) == len(real.body), "cover traffic has the size of a real submission"
    assert post(live, "/submissions", dummy.body)[0] == 201
    opened = open_submission(dummy.body, live.policy, live.private_keys)
    assert opened.dummy and opened.flags == []
    result = run("selfreport-authority", "open", "--db", str(live.box.db),
                 "--key", str(live.keys / "recipient-health.key"),
                 "--key", str(live.keys / "recipient-identity.key"), "--policy", str(live.signed_policy))
    assert dummy.submission_id not in {entry["submission_id"] for entry in json.loads(result.stdout)}


def test_the_deletion_token_kept_here_deletes_and_nothing_else_does(live):
    submission = python_submission(live)
    assert post(live, "/submissions", submission.body)[0] == 201
    url = f"{live.box.url}/submissions/{submission.submission_id}"
    other = new_deletion_token()
    assert delete(url, other, live.pki.ca_pem) == 403
    # No credentials at all: 401 with a Bearer challenge (protocol.md, DELETE).
    assert delete(url, None, live.pki.ca_pem) == 401
    assert submission.submission_id in {row[0] for row in stored_rows(live)}
    assert delete(url, submission.deletion_token, live.pki.ca_pem) == 204
    assert submission.submission_id not in {row[0] for row in stored_rows(live)}
    assert delete(url, submission.deletion_token, live.pki.ca_pem) == 404


def test_the_command_line_verifies_the_devices_ledger_and_opens_what_it_sent(live, tmp_path):
    from test_cli import wire

    ledger_file = tmp_path / "ledger.json"
    ledger_file.write_text(json.dumps(live.ledger, ensure_ascii=False))
    result = wire("verify-ledger", str(ledger_file))
    assert result.returncode == 0, result.stderr
    bodies = []
    for submission_id, body, _ in stored_rows(live):
        if submission_id in device_submission_ids(live):
            bodies.append(tmp_path / f"{submission_id}.json")
            bodies[-1].write_bytes(body)
    result = wire("open", "--policy", str(live.signed_policy), "--root", str(live.keys / "signing.pub"),
                  "--key", f"health={live.keys / 'recipient-health.key'}",
                  "--key", f"identity={live.keys / 'recipient-identity.key'}", *map(str, bodies))
    assert result.returncode == 0, result.stderr
    names = {json.loads(line)["recipients"]["identity"]["name"] for line in result.stdout.splitlines()}
    assert names == set(PEOPLE)
    result = wire("open", "--policy", str(live.signed_policy), "--root", str(live.keys / "recipient-health.pub"),
                  "--key", f"health={live.keys / 'recipient-health.key'}", str(bodies[0]))
    assert result.returncode == 1 and b"SignatureInvalid" in result.stderr
