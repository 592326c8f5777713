"""A `selfreport.policy/1` policy, which states no padded sizes, end to end: the sizes
come from `selfreport-authority check-policy` (the route protocol.md names), the device's
parts open strictly with them, a size one block off is flagged, and a part this
implementation seals with them is opened by `selfreport-authority open` without a flag."""

import json
import sqlite3

import pytest

from selfreport_wire.opening import open_submission
from selfreport_wire.policy import policy_from_document
from selfreport_wire.sealing import minimize, seal_submission
from selfreport_wire.signed import load_envelope, verify_policy
from support.authority import (
    FORM_ID,
    POLICY_ID,
    live_policy_document,
    minimum_padded_sizes,
    read_key,
    sign_policy,
    start_drop_box,
)
from support.http import post_json
from support.pki import make_test_pki
from support.programs import Device, free_loopback_port, run

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    """A /1 policy's drop box, one report synced to it by a device, and the sizes."""
    work = tmp_path_factory.mktemp("live-v1")
    keys = work / "authority"
    run("selfreport-authority", "keygen", "--out", str(keys))
    pki = make_test_pki(work / "tls")
    port = free_loopback_port()
    document = live_policy_document("selfreport.policy/1", f"https://127.0.0.1:{port}/v1", pki, keys, None)
    signed_policy = sign_policy(keys, document, work)
    verified = verify_policy(load_envelope(signed_policy.read_bytes()), read_key(keys / "signing.pub"))
    sizes = minimum_padded_sizes(document, work)
    box = start_drop_box(port, work / "dropbox.db", pki, keys, signed_policy)
    try:
        device = Device(work / "store", pki.ca_pem)
        device.cli("init", "--trust", str(keys / "signing.pub"))
        device.cli("policy", "install", str(signed_policy))
        profile = device.cli("profile", "add", "--name", "Zhang Wei").strip()
        device.cli("monitor", "start", "--profile", profile, "--policy", POLICY_ID, "--reason", "contact")
        device.cli("report", "--profile", profile, "--policy", POLICY_ID, "--form", FORM_ID,
                   "--answer", "temperature=36.9", "--answer", "symptoms=", "--answer", "contact_with_case=yes")
        device.cli("consent", "grant", "--policy", POLICY_ID)
        assert device.json("sync")["delivered"] == 1
        yield {"document": verified, "sizes": sizes, "keys": keys, "box": box, "pki": pki,
               "signed_policy": signed_policy}
    finally:
        box.stop()


def private_keys(v1) -> dict[str, bytes]:
    return {name: read_key(v1["keys"] / f"recipient-{name}.key") for name in ("health", "identity")}


def device_body(v1) -> bytes:
    with sqlite3.connect(v1["box"].db) as db:
        (body,) = db.execute("SELECT body FROM submissions").fetchone()
    return bytes(body)


def test_the_devices_v1_parts_open_strictly_with_the_reported_sizes(v1):
    policy = policy_from_document(v1["document"], v1["sizes"])
    opened = open_submission(device_body(v1), policy, private_keys(v1))
    assert opened.flags == []
    assert opened.fields("health") == {"temperature": False, "symptoms": [], "contact_with_case": True}
    assert opened.fields("identity") == {"name": "Zhang Wei"}


def test_a_size_one_block_off_is_flagged(v1):
    sizes = dict(v1["sizes"])
    sizes[(FORM_ID, "health")] += v1["document"]["padding"]["block_bytes"]
    opened = open_submission(device_body(v1), policy_from_document(v1["document"], sizes), private_keys(v1))
    assert [name for name, _ in opened.flags] == ["part:health"]


def test_a_v1_part_sealed_here_opens_at_the_authority_without_flags(v1):
    policy = policy_from_document(v1["document"], v1["sizes"])
    fields = minimize(policy, FORM_ID, {"name": "Li Lei", "temperature": 38.1, "symptoms": ["fatigue"],
                                        "district": "420106", "contact_with_case": False})
    submission = seal_submission(policy, FORM_ID, "2026-12-02", "0f" * 16, fields)
    status, _ = post_json(v1["box"].url + "/submissions", submission.body, v1["pki"].ca_pem)
    assert status == 201
    result = run("selfreport-authority", "open", "--db", str(v1["box"].db),
                 "--key", str(v1["keys"] / "recipient-health.key"),
                 "--key", str(v1["keys"] / "recipient-identity.key"), "--policy", str(v1["signed_policy"]))
    ours = {entry["submission_id"]: entry for entry in json.loads(result.stdout)}[submission.submission_id]
    assert ours["flags"] == []
    assert ours["recipients"]["health"] == {"temperature": True, "symptoms": ["fatigue"], "district": "420100",
                                            "contact_with_case": False}
