#!/usr/bin/env bash
# Builds org.selfreport:selfreport-android, the AAR an Android app adds in one line, into a
# Maven repository layout under bindings/android/target/maven/:
#
#   org/selfreport/selfreport-android/<version>/selfreport-android-<version>.aar (+ .pom,
#   .md5/.sha1/.sha256, and the artifact's maven-metadata.xml), the AAR holding
#     classes.jar            the generated Kotlin bindings and the Android Keystore key
#                            source (org.selfreport.android.AndroidKeystoreKeySource),
#                            compiled by bindings/android/pom.xml against the SDK's android.jar
#     jni/<abi>/libselfreport_ffi.so   the release library for arm64-v8a, armeabi-v7a and
#                            x86_64, built with cargo-ndk, linked for 16 KB pages
#                            (.cargo/config.toml) and checked for it
#     proguard.txt           consumer R8 rules (bindings/android/consumer-rules.pro)
#     AndroidManifest.xml, R.txt
#   and a POM naming JNA (as an AAR), kotlinx-coroutines-android and the Kotlin stdlib.
# The version is the workspace's. The demo app (android-demo) depends on it from there.
#
# Prerequisites of a real build (checked below):
#   - the Android NDK, found through ANDROID_NDK_HOME (r23 or newer);
#   - the Android SDK platform 35, found through ANDROID_HOME (or ANDROID_SDK_ROOT);
#   - cargo-ndk (`cargo install cargo-ndk`; installed here if missing);
#   - the Rust targets aarch64-linux-android, armv7-linux-androideabi and
#     x86_64-linux-android (added here through rustup if missing);
#   - a JDK 17+ and Maven.
#
# Usage:
#   scripts/build-android.sh                # release libraries for all three ABIs, the AAR
#   scripts/build-android.sh --debug        # unoptimized, for debugging the core
#   scripts/build-android.sh --check        # without the NDK or SDK (CI): the host's release
#                                           # library stands in for every ABI, a few stand-in
#                                           # Android classes (bindings/android/stubs) for
#                                           # android.jar at compile time; then the AAR's
#                                           # layout, classes, ELF files, ProGuard rules and
#                                           # POM are validated. Not an AAR to ship.
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
readonly ASSETS="$APP/src/main/assets"
readonly REPO=bindings/android/target/maven
# The platform android.jar the classes compile against (compileSdk of the demo).
readonly COMPILE_SDK=35
readonly DEMO_AUTHORITY=android-demo/demo-authority
# Must match minSdk in android-demo/app/build.gradle.kts.
readonly ANDROID_API=26
readonly ABIS=(arm64-v8a armeabi-v7a x86_64)
readonly TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
# The NDK's clang driver for each ABI (the linker cargo-ndk would use), which
# scripts/link-cdylib runs after leaving uniffi's metadata out of the exported symbols.
readonly CLANG_TARGETS=(aarch64-linux-android armv7a-linux-androideabi x86_64-linux-android)

profile=release
demo_assets=false
check=false
for argument in "$@"; do
    case "$argument" in
        --debug) profile=debug ;;
        --check) check=true ;;
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

target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
version="$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "selfreport-ffi"))')"
jni="$target_dir/android/jni"
build=bindings/android/target

for tool in mvn javac jar; do
    command -v "$tool" >/dev/null 2>&1 \
        || fail "'$tool' not found: install a JDK 17+ and Maven (bindings/kotlin/run-tests does in CI)"
done

rm -rf "$jni"
mkdir -p "$build"
if [[ "$check" == true ]]; then
    step "check mode: the host's release library stands in for ${ABIS[*]}"
    # The same artifact scripts/ffi-size measures and the jar carries.
    host_library="$(scripts/build-cdylib)"
    for abi in "${ABIS[@]}"; do
        mkdir -p "$jni/$abi"
        strip --strip-all -o "$jni/$abi/libselfreport_ffi.so" "$host_library"
    done

    step "check mode: stand-in Android classes for compiling (bindings/android/stubs)"
    stubs="$build/android-stubs"
    rm -rf "$stubs"
    mapfile -t stub_sources < <(find bindings/android/stubs -name '*.java' | sort)
    javac --release 17 -nowarn -d "$stubs" "${stub_sources[@]}"
    android_jar="$PWD/$build/android-stubs.jar"
    (cd "$stubs" && jar cf "$android_jar" .)
else
    step "checking prerequisites"
    if [[ -z "${ANDROID_NDK_HOME:-}" ]]; then
        fail "ANDROID_NDK_HOME is not set; point it at an installed NDK, e.g. \$ANDROID_HOME/ndk/<version>
       (scripts/build-android.sh --check validates the package without one)"
    fi
    if [[ ! -d "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" ]]; then
        fail "ANDROID_NDK_HOME=$ANDROID_NDK_HOME does not look like an NDK (no toolchains/llvm/prebuilt)"
    fi
    echo "NDK: $ANDROID_NDK_HOME"
    sdk="${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}"
    android_jar="$sdk/platforms/android-$COMPILE_SDK/android.jar"
    [[ -n "$sdk" && -f "$android_jar" ]] \
        || fail "no android.jar for API $COMPILE_SDK: set ANDROID_HOME and install platforms;android-$COMPILE_SDK"

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
    # other types (staticlib, rlib), LTO keeps every Rust-level symbol and the library grows
    # by about a fifth (docs/performance.md, "Library size"). The 16 KB page size comes from
    # .cargo/config.toml ([target.<android triple>] rustflags); a RUSTFLAGS variable would
    # replace it, which the alignment check below catches.
    rustc_flags=(rustc -p selfreport-ffi --lib --crate-type cdylib)
    if [[ "$profile" == release ]]; then
        rustc_flags+=(--release)
    fi
    ndk_bin="$(echo "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin)"
    for index in "${!ABIS[@]}"; do
        abi="${ABIS[$index]}"
        # As scripts/build-cdylib does on the host (scripts/link-cdylib: ~45 KB of uniffi
        # metadata left out). Not run on the machine that wrote it (no NDK there).
        linker=(-- -C "linker=$PWD/scripts/link-cdylib")
        SELFREPORT_LINKER="$ndk_bin/${CLANG_TARGETS[$index]}$ANDROID_API-clang" \
            cargo ndk --target "$abi" --platform "$ANDROID_API" "${rustc_flags[@]}" "${linker[@]}"
        mkdir -p "$jni/$abi"
        cp "$target_dir/${TARGETS[$index]}/$profile/libselfreport_ffi.so" "$jni/$abi/"
    done
fi

for abi in "${ABIS[@]}"; do
    printf '%-12s %s bytes\n' "$abi" "$(wc -c <"$jni/$abi/libselfreport_ffi.so")"
done

step "classes.jar: the generated bindings and the Keystore key source (bindings/android/pom.xml)"
pom_version="$(python3 -c '
import sys, xml.etree.ElementTree as ET
print(ET.parse(sys.argv[1]).getroot().find("{http://maven.apache.org/POM/4.0.0}version").text)' bindings/android/pom.xml)"
[[ "$pom_version" == "$version" ]] || fail "bindings/android/pom.xml is at $pom_version, the workspace at $version"
mvn -B -q -f bindings/android/pom.xml package -Dandroid.jar="$android_jar" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "compiling the Android classes failed"
classes="$build/selfreport-android-classes-$version.jar"

step "selfreport-android-$version.aar into $REPO"
rm -rf "$REPO"
python3 bindings/android/aar.py assemble --version "$version" --classes "$classes" --jni "$jni" --out "$REPO"
check_arguments=(--version "$version" --repo "$REPO" --abis "$(IFS=,; echo "${ABIS[*]}")" --cargo-config .cargo/config.toml)
if [[ "$check" == true ]]; then
    check_arguments+=(--host-stand-in)
fi
python3 bindings/android/aar.py check "${check_arguments[@]}"

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

if [[ "$check" == true ]]; then
    step "done: the AAR's layout and POM are valid (host stand-ins: not for apps)"
else
    step "done: org.selfreport:selfreport-android:$version in $REPO (android-demo depends on it)"
fi
