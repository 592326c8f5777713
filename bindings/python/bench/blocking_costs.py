"""What each blocking call of the bindings costs on the caller's thread (issue 17): the
figures in docs/integration-android.md, section 15. A measurement, not a test.

    cargo build --workspace --bins && scripts/ffi-size
    python3 bindings/python/bench/blocking_costs.py target/release/libselfreport_ffi.so

Times each call from Python against a household's store (8 profiles, 30 days of daily
reports each: 240 records), and two async listings for comparison. Prints a Markdown table.
"""

import asyncio
import datetime
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROFILES = 8
DAYS = 30


def load(library):
    """The generated module beside a copy of `library`, as the test suite loads it."""
    home = Path(tempfile.mkdtemp())
    shutil.copy(ROOT / "bindings" / "generated" / "python" / "selfreport.py", home)
    shutil.copy(library, home)
    sys.path.insert(0, str(home))
    return importlib.import_module("selfreport"), home


def timed(name, call, runs=200):
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    samples.sort()
    median = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"| `{name}` | {median * 1e3:.3f} ms | {p99 * 1e3:.3f} ms |")


def main():
    library = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "release" / "libselfreport_ffi.so")
    sr, home = load(library)
    fixture_dir = home / "fixture"
    subprocess.run([str(ROOT / "target" / "debug" / "selfreport-fixture"), "--out", str(fixture_dir)],
                   check=True, capture_output=True)
    fixture = json.loads((fixture_dir / "fixture.json").read_text())
    options = sr.OpenOptions(
        trust_anchors=[sr.TrustAnchor(public_key=fixture["trust_anchor"], not_before=None, not_after=None)],
        extra_roots_der=[Path(fixture["ca_der"]).read_bytes()],
    )
    key = sr.passphrase_key_source("a passphrase", 1000)
    core = asyncio.run(sr.SelfReport.open(str(home / "store"), key, options))
    signed = Path(fixture["signed_policy"]).read_bytes()
    policy = core.install_policy(signed)
    first = datetime.date.fromisoformat(core.today()) - datetime.timedelta(days=DAYS - 1)
    profiles = []
    for member in range(PROFILES):
        profile = core.add_profile(sr.NewProfile(display_name=f"member {member}", name="王芳", id_number=None,
                                                 phone="+8613800138000", birth_date=None, passport_number=None))
        core.start_monitoring(profile, policy.id, first.isoformat(), sr.MonitoringReason.SELF_REPORTED)
        profiles.append(profile)
        for day in range(DAYS):
            date = (first + datetime.timedelta(days=day)).isoformat()
            record = core.save_record(profile, policy.id, "daily", date, fixture["answers"])
    core.grant_consent(policy.id)

    def install_again():
        try:
            core.install_policy(signed)
        except sr.SelfReportError.PolicyRefused:
            pass  # every check ran; the same version is not newer

    print("| call | median | p99 |")
    print("|---|---:|---:|")
    timed("today()", core.today)
    timed("installPolicy (every check; not newer)", install_again, 100)
    timed("policies()", core.policies)
    timed(f"profiles() ({PROFILES})", core.profiles)
    timed(f"monitoringPeriods() ({PROFILES})", core.monitoring_periods)
    timed("due(today)", lambda: core.due(None))
    timed("addProfile", lambda: core.add_profile(sr.NewProfile(
        display_name="x", name=None, id_number=None, phone=None, birth_date=None, passport_number=None)), 100)
    timed("saveRecord (amends today's)", lambda: core.save_record(
        profiles[0], policy.id, "daily", None, fixture["answers"]), 100)
    timed("record(id)", lambda: core.record(record.id))
    timed("preview(id)", lambda: core.preview(record.id))
    timed("hasConsent", lambda: core.has_consent(policy.id))
    timed("grantConsent", lambda: core.grant_consent(policy.id), 100)
    timed(f"records() (async, {PROFILES * DAYS} records)", lambda: asyncio.run(core.records()), 30)
    timed("ledger() (async)", lambda: asyncio.run(core.ledger()), 30)


if __name__ == "__main__":
    main()
