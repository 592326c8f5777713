#!/usr/bin/env bash
# Builds the Swift package's binary part: selfreport-ffi as a release static library for
# iOS devices (aarch64-apple-ios) and the iOS Simulator (aarch64-apple-ios-sim and
# x86_64-apple-ios, joined into one slice with lipo), the Swift bindings generated from
# that library by the workspace's own uniffi-bindgen, and
# bindings/swift/SelfReportFFI.xcframework made by `xcodebuild -create-xcframework`.
# It also copies the generated SelfReportCore.swift into
# bindings/swift/Sources/SelfReportCore/, where SwiftPM compiles it. Both outputs are
# git-ignored: build them on the Mac that builds the app.
#
#   scripts/build-xcframework.sh           device and simulator slices
#   scripts/build-xcframework.sh --macos   also a macOS slice (arm64 + x86_64), needed by
#                                          `swift build` / `swift test` in bindings/swift
#   scripts/build-xcframework.sh --release BASE_URL
#                                          then the release form (scripts/swift-release):
#                                          target/swift-release/ with the zipped XCFramework
#                                          to upload to BASE_URL, its SHA-256, and a
#                                          Package.swift with binaryTarget(url:checksum:)
#
# Needs macOS with Xcode (15.3 or later), rustup and the Rust targets it names.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() {
    echo "error: $*" >&2
    exit 1
}

with_macos=false
release_url=""
while (($# > 0)); do
    case "$1" in
        --macos) with_macos=true ;;
        --release)
            [[ $# -ge 2 ]] || fail "--release needs the base URL the zip will be downloaded from"
            release_url="$2"
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) fail "unknown argument '$1' (usage: scripts/build-xcframework.sh [--macos] [--release BASE_URL])" ;;
    esac
    shift
done

# --- what this machine must have --------------------------------------------------------

if [[ "$(uname -s)" != Darwin ]]; then
    fail "this script runs on macOS only: the iOS libraries link against Apple's SDKs and
       'xcodebuild -create-xcframework' exists only in Xcode. On Linux, scripts/bindgen
       still generates bindings/generated/swift."
fi

for tool in cargo rustup xcodebuild xcrun lipo python3; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found. Install Xcode (and run
       'sudo xcode-select -s /Applications/Xcode.app'), and Rust with rustup (https://rustup.rs)."
done

xcrun --sdk iphoneos --show-sdk-path >/dev/null 2>&1 \
    || fail "no iOS SDK found: install Xcode (not only the Command Line Tools) and run
       'sudo xcode-select -s /Applications/Xcode.app'."

library_name="libselfreport_ffi.a"
device_targets=(aarch64-apple-ios)
simulator_targets=(aarch64-apple-ios-sim x86_64-apple-ios)
macos_targets=(aarch64-apple-darwin x86_64-apple-darwin)
targets=("${device_targets[@]}" "${simulator_targets[@]}")
if $with_macos; then
    targets+=("${macos_targets[@]}")
fi

installed_targets="$(rustup target list --installed)"
missing=()
for target in "${targets[@]}"; do
    grep -qx "$target" <<<"$installed_targets" || missing+=("$target")
done
if ((${#missing[@]} > 0)); then
    fail "Rust targets not installed: ${missing[*]}
       run: rustup target add ${missing[*]}"
fi

# --- build ------------------------------------------------------------------------------

# The deployment targets match Package.swift's platforms, for rustc and for the C code
# (bundled SQLite, ring) that the cc crate compiles.
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

for target in "${targets[@]}"; do
    echo "==> selfreport-ffi (release, staticlib) for $target"
    # Only the static library: the cdylib and rlib the crate also declares are not needed.
    cargo rustc --quiet -p selfreport-ffi --lib --release --target "$target" --crate-type staticlib
done

echo "==> uniffi-bindgen"
cargo build --quiet -p uniffi-bindgen
bindgen="$target_dir/debug/uniffi-bindgen"

work="$target_dir/xcframework"
rm -rf "$work"
mkdir -p "$work/generated" "$work/headers/SelfReportFFI" "$work/ios-simulator" "$work/macos"

device_library="$target_dir/aarch64-apple-ios/release/$library_name"

# --- bindings from the library that ships -----------------------------------------------

echo "==> Swift bindings from $device_library"
"$bindgen" generate "$device_library" --language swift --out-dir "$work/generated" --no-format >/dev/null
# The committed bindings are checked against the host library in CI (scripts/bindgen
# --check); these must be the same, or the Swift API in the repo is not what ships.
if ! diff -r bindings/generated/swift "$work/generated" >/dev/null; then
    diff -r bindings/generated/swift "$work/generated" | head -40 >&2 || true
    fail "the Swift bindings generated from the iOS library differ from bindings/generated/swift.
       Run scripts/bindgen, review and commit the result, then run this script again."
fi

# The C module sits in a directory of its own under Headers/, so that an app linking
# several uniffi XCFrameworks does not get two Headers/module.modulemap files copied to
# the same place. The modulemap is uniffi's, renamed to the name clang looks for.
cp "$work/generated/SelfReportFFI.h" "$work/headers/SelfReportFFI/SelfReportFFI.h"
cp "$work/generated/SelfReportFFI.modulemap" "$work/headers/SelfReportFFI/module.modulemap"

# --- one library per platform -----------------------------------------------------------

simulator_libraries=()
for target in "${simulator_targets[@]}"; do
    simulator_libraries+=("$target_dir/$target/release/$library_name")
done
echo "==> lipo: iOS Simulator (arm64 + x86_64)"
lipo -create "${simulator_libraries[@]}" -output "$work/ios-simulator/$library_name"

xcframework_arguments=(
    -library "$device_library" -headers "$work/headers"
    -library "$work/ios-simulator/$library_name" -headers "$work/headers"
)
if $with_macos; then
    macos_libraries=()
    for target in "${macos_targets[@]}"; do
        macos_libraries+=("$target_dir/$target/release/$library_name")
    done
    echo "==> lipo: macOS (arm64 + x86_64)"
    lipo -create "${macos_libraries[@]}" -output "$work/macos/$library_name"
    xcframework_arguments+=(-library "$work/macos/$library_name" -headers "$work/headers")
fi

# --- the package's outputs --------------------------------------------------------------

xcframework="bindings/swift/SelfReportFFI.xcframework"
echo "==> $xcframework"
rm -rf "$xcframework"
xcodebuild -create-xcframework "${xcframework_arguments[@]}" -output "$xcframework" >/dev/null

sources="bindings/swift/Sources/SelfReportCore"
mkdir -p "$sources"
cp "$work/generated/SelfReportCore.swift" "$sources/SelfReportCore.swift"

echo
echo "built:"
du -sh "$xcframework"
echo "  $sources/SelfReportCore.swift (generated; do not edit)"
echo
echo "Add bindings/swift as a local Swift package to your app (docs/integration-ios.md)."

if [[ -n "$release_url" ]]; then
    echo
    echo "==> release form (scripts/swift-release)"
    scripts/swift-release --xcframework "$xcframework" --base-url "$release_url" \
        --out "$target_dir/swift-release"
    echo "Upload SelfReportFFI.xcframework.zip to $release_url, then tag $target_dir/swift-release"
    echo "(Package.swift and Sources/) in the repository apps add as a Swift package."
fi
