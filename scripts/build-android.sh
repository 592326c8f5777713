#!/usr/bin/env bash
# Builds libselfreport_ffi.so for the Android demo with cargo-ndk, one per ABI, into
# android-demo/app/src/main/jniLibs/<abi>/. The Kotlin bindings are not copied: the app's
# Gradle source set points at bindings/generated/kotlin (regenerate them with
# scripts/bindgen after changing the FFI).
#
# Prerequisites (checked below):
#   - the Android NDK, found through ANDROID_NDK_HOME (r23 or newer);
#   - cargo-ndk (`cargo install cargo-ndk`; installed here if missing);
#   - the Rust targets aarch64-linux-android, armv7-linux-androideabi and
#     x86_64-linux-android (added here through rustup if missing).
#
# Usage:
#   scripts/build-android.sh                # release libraries for all three ABIs
#   scripts/build-android.sh --debug        # unoptimized, for debugging the core
#   scripts/build-android.sh --demo-assets  # also make a local demo authority (see below)
#
# --demo-assets runs `selfreport-fixture` (a throwaway authority, a test CA, a drop box
# configuration on 127.0.0.1) into android-demo/demo-authority/ and copies into the app's
# assets: the signed daily-report policy, the authority's trust anchor and (debug builds
# only read it) the test CA. It then prints how to start the drop box and forward its port
# to a device or emulator with `adb reverse`. None of it is for production.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly APP=android-demo/app
readonly JNI_LIBS="$APP/src/main/jniLibs"
readonly ASSETS="$APP/src/main/assets"
readonly DEMO_AUTHORITY=android-demo/demo-authority
# Must match minSdk in android-demo/app/build.gradle.kts.
readonly ANDROID_API=26
readonly ABIS=(arm64-v8a armeabi-v7a x86_64)
readonly TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)

profile=release
demo_assets=false
for argument in "$@"; do
    case "$argument" in
        --debug) profile=debug ;;
        --demo-assets) demo_assets=true ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "error: unknown argument '$argument' (see --help)" >&2
            exit 2
            ;;
    esac
done

step() { printf '\n==> %s\n' "$*"; }
fail() {
    echo "error: $*" >&2
    exit 1
}

step "checking prerequisites"
if [[ -z "${ANDROID_NDK_HOME:-}" ]]; then
    fail "ANDROID_NDK_HOME is not set; point it at an installed NDK, e.g. \$ANDROID_HOME/ndk/<version>"
fi
if [[ ! -d "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" ]]; then
    fail "ANDROID_NDK_HOME=$ANDROID_NDK_HOME does not look like an NDK (no toolchains/llvm/prebuilt)"
fi
echo "NDK: $ANDROID_NDK_HOME"

if ! cargo ndk --version >/dev/null 2>&1; then
    step "installing cargo-ndk"
    cargo install cargo-ndk --locked
fi
cargo ndk --version

if command -v rustup >/dev/null 2>&1; then
    installed_targets=$(rustup target list --installed)
    missing=()
    for target in "${TARGETS[@]}"; do
        grep -qx "$target" <<<"$installed_targets" || missing+=("$target")
    done
    if ((${#missing[@]} > 0)); then
        step "adding Rust targets: ${missing[*]}"
        rustup target add "${missing[@]}"
    fi
else
    echo "rustup not found: make sure the Rust standard library is installed for ${TARGETS[*]}" >&2
fi

step "building selfreport-ffi ($profile) for ${ABIS[*]}"
# The cdylib alone (`cargo rustc --crate-type cdylib`): built together with the crate's
# other types (staticlib, rlib), LTO keeps every Rust-level symbol and the library grows by
# about a fifth (docs/performance.md, "Library size"). Copied by this script rather than
# by cargo-ndk's --output-dir, which follows `cargo build` only.
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
rustc_flags=(rustc -p selfreport-ffi --lib --crate-type cdylib)
if [[ "$profile" == release ]]; then
    rustc_flags+=(--release)
fi
for index in "${!ABIS[@]}"; do
    abi="${ABIS[$index]}"
    cargo ndk --target "$abi" --platform "$ANDROID_API" "${rustc_flags[@]}"
    mkdir -p "$JNI_LIBS/$abi"
    cp "$target_dir/${TARGETS[$index]}/$profile/libselfreport_ffi.so" "$JNI_LIBS/$abi/"
done

for abi in "${ABIS[@]}"; do
    library="$JNI_LIBS/$abi/libselfreport_ffi.so"
    [[ -f "$library" ]] || fail "expected $library after the build"
    printf '%-12s %s bytes\n' "$abi" "$(wc -c <"$library")"
done

if [[ "$demo_assets" == true ]]; then
    step "making a local demo authority in $DEMO_AUTHORITY"
    # The fixture drives the workspace's own authority and drop box binaries.
    cargo build -p selfreport-endpoint --bins
    cargo build -p selfreport-tests --bin selfreport-fixture
    rm -rf "$DEMO_AUTHORITY"
    target/debug/selfreport-fixture --out "$DEMO_AUTHORITY" >/dev/null

    mkdir -p "$ASSETS/policies" "$ASSETS/dev-roots"
    cp "$DEMO_AUTHORITY/policy.signed.json" "$ASSETS/policies/demo-daily-report.signed.json"
    {
        echo "# Demo authority made by scripts/build-android.sh --demo-assets. Not for production."
        cat "$DEMO_AUTHORITY/authority/signing.pub"
    } >"$ASSETS/trust-anchors.txt"
    cp "$DEMO_AUTHORITY/tls/ca.der" "$ASSETS/dev-roots/demo-ca.der"

    endpoint_url=$(grep -o '"endpoint_url": *"[^"]*"' "$DEMO_AUTHORITY/fixture.json" | sed 's/.*"\(https[^"]*\)"/\1/')
    port=${endpoint_url##*:}
    port=${port%%/*}
    cat <<EOF

Demo assets written to $ASSETS. To send reports from the app:
  1. start the drop box: the command is "endpoint_command" in $DEMO_AUTHORITY/fixture.json
     (it listens on $endpoint_url);
  2. forward the port to the device or emulator:  adb reverse tcp:$port tcp:$port
  3. build a debug app (only debug builds trust the demo CA):  cd android-demo && ./gradlew installDebug
  4. after sending, read what arrived:
     target/debug/selfreport-authority open --db $DEMO_AUTHORITY/dropbox.db \\
       --key $DEMO_AUTHORITY/authority/recipient-health.key \\
       --key $DEMO_AUTHORITY/authority/recipient-identity.key \\
       --policy $DEMO_AUTHORITY/policy.signed.json
EOF
fi

step "done: libraries in $JNI_LIBS; bindings from bindings/generated/kotlin (Gradle source set)"
