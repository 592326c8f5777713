#!/usr/bin/env bash
# The demo's authority and drop box on this Mac, for the app in the iOS Simulator (which
# reaches the Mac's 127.0.0.1):
#
#   1. builds the drop box, the authority tool and selfreport-fixture (debug);
#   2. once, makes authority keys, a test PKI for 127.0.0.1 and the daily-report policy
#      pointed at https://127.0.0.1:PORT/v1 with the test certificate pinned, signed by the
#      authority key, into ios-demo/.dev/ (git-ignored);
#   3. copies the trust anchor, the signed policy and the test CA into
#      SelfReportDemo/DemoConfig/ (git-ignored), which the app bundles;
#   4. runs the drop box in the foreground until Ctrl-C.
#
#   ios-demo/scripts/dev-dropbox.sh           reuse the keys, port and policy made before
#   ios-demo/scripts/dev-dropbox.sh --fresh   new ones; then delete the app from the
#                                             Simulator, whose store keeps the old policy
#
# Decrypt what arrived with the printed `selfreport-authority open` command.
set -euo pipefail

demo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$demo/.." && pwd)"

fresh=false
case "${1:-}" in
    --fresh) fresh=true ;;
    "") ;;
    *)
        echo "usage: ios-demo/scripts/dev-dropbox.sh [--fresh]" >&2
        exit 2
        ;;
esac

cd "$repo"
echo "==> building the drop box and the fixture tool"
cargo build --quiet -p selfreport-endpoint -p selfreport-tests --bins
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

dev="$demo/.dev"
if $fresh || [[ ! -f "$dev/fixture.json" ]]; then
    echo "==> new authority keys, test PKI and signed policy in $dev"
    rm -rf "$dev"
    "$target_dir/debug/selfreport-fixture" --out "$dev" >/dev/null
fi

exec python3 - "$dev/fixture.json" "$demo/SelfReportDemo/DemoConfig" "$target_dir/debug" <<'PYTHON'
import json, os, pathlib, shutil, sys

fixture_path, config, binaries = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
fixture = json.loads(pathlib.Path(fixture_path).read_text())
dev = pathlib.Path(fixture_path).parent
config.mkdir(parents=True, exist_ok=True)
(config / "trust-anchor.txt").write_text(fixture["trust_anchor"] + "\n")
shutil.copyfile(fixture["signed_policy"], config / "policy.signed.json")
shutil.copyfile(fixture["ca_der"], config / "dev-ca.der")

print(f"==> DemoConfig written to {config}: build and run the app in the Simulator")
print(f"==> drop box at {fixture['endpoint_url']} (Ctrl-C stops it)")
print("    to read what arrived:")
print(f"    {binaries / 'selfreport-authority'} open --db {fixture['dropbox_db']} \\")
print(f"        --key {dev / 'authority' / 'recipient-health.key'} --policy {fixture['signed_policy']} --format json")
sys.stdout.flush()
command = fixture["endpoint_command"]
os.execv(command[0], command)
PYTHON
