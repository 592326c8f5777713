"""`python -m selfreport_wire`: what a person or an auditor runs without the project's
code. `verify-ledger` checks a device's `selfreport ledger --json` output; `open` opens
sealed bodies with recipient keys under a signed policy verified from its root key.

Exit status: 0 when everything verifies (open: and no flag), 1 when something does not,
2 for a usage error."""

import argparse
import base64
import json
import sys
from pathlib import Path

from .canonical import loads_strict
from .errors import WireError
from .ledger import verify_ledger
from .opening import open_submission
from .policy import policy_from_document
from .signed import load_envelope, verify_policy


def _key_file(path: str) -> bytes:
    return base64.b64decode(Path(path).read_text().strip(), validate=True)


def _verify_ledger(arguments: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read() if arguments.file == "-" else Path(arguments.file).read_bytes()
    summary = verify_ledger(loads_strict(data))
    print(f"ledger verifies: {summary.entries} entries, {summary.disclosures} receipts, head {summary.head}")
    return 0


def _open(arguments: argparse.Namespace) -> int:
    document = verify_policy(load_envelope(Path(arguments.policy).read_bytes()), _key_file(arguments.root))
    sizes = {}
    for entry in arguments.padded or []:
        place, _, size = entry.partition("=")
        form, _, recipient = place.partition(":")
        sizes[(form, recipient)] = int(size)
    policy = policy_from_document(document, sizes)
    keys = {}
    for entry in arguments.key:
        name, _, path = entry.partition("=")
        keys[name] = _key_file(path)
    flagged = 0
    for body_path in arguments.bodies:
        opened = open_submission(Path(body_path).read_bytes(), policy, keys)
        flagged += bool(opened.flags)
        print(json.dumps({
            "submission_id": opened.submission_id,
            "dummy": opened.dummy,
            "recipients": {name: opened.fields(name) for name in opened.parts},
            "flags": [{"field": field, "problem": problem} for field, problem in opened.flags],
        }, ensure_ascii=False))
    return 1 if flagged else 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m selfreport_wire", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    ledger = commands.add_parser("verify-ledger", help="verify `selfreport ledger --json` output")
    ledger.add_argument("file", help="the JSON output, or - for stdin")
    ledger.set_defaults(run=_verify_ledger)
    opening = commands.add_parser("open", help="open sealed bodies strictly against a signed policy")
    opening.add_argument("--policy", required=True, help="the signed policy envelope")
    opening.add_argument("--root", required=True, help="the root's signing.pub")
    opening.add_argument("--key", required=True, action="append", help="NAME=recipient-NAME.key; repeatable")
    opening.add_argument("--padded", action="append", help="FORM:RECIPIENT=BYTES, for a /1 policy only")
    opening.add_argument("bodies", nargs="+", help="files holding one sealed body each")
    opening.set_defaults(run=_open)
    return top


def main(argv: list[str] | None = None) -> int:
    """Runs one command; refusals are one line on stderr."""
    arguments = parser().parse_args(argv)
    try:
        return arguments.run(arguments)
    except (WireError, OSError, ValueError) as error:
        print(f"error[{type(error).__name__}]: {error}", file=sys.stderr)
        return 1
