"""Tests of scripts/swift-release (run by scripts/test): the zip, its checksum and the
release Package.swift, made from a stand-in XCFramework (no Xcode here)."""

import subprocess
import tempfile
import unittest
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "swift-release"
BASE_URL = "https://example.org/selfreport/releases/download/v0.1.0"


def stand_in(parent, library=b"!<arch>\nstand-in static library\n"):
    xcframework = parent / "SelfReportFFI.xcframework"
    (xcframework / "ios-arm64" / "Headers" / "SelfReportFFI").mkdir(parents=True)
    (xcframework / "Info.plist").write_text("<plist><dict/></plist>\n")
    (xcframework / "ios-arm64" / "libselfreport_ffi.a").write_bytes(library)
    (xcframework / "ios-arm64" / "Headers" / "SelfReportFFI" / "module.modulemap").write_text("module SelfReportFFI {}\n")
    return xcframework


def release(xcframework, out, base_url=BASE_URL):
    return subprocess.run([str(SCRIPT), "--xcframework", str(xcframework), "--base-url", base_url,
                           "--out", str(out)], capture_output=True, text=True)


class SwiftReleaseTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="swift-release-"))
        self.addCleanup(subprocess.run, ["rm", "-rf", str(self.tmp)])
        self.out = self.tmp / "out"
        result = release(stand_in(self.tmp), self.out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.zip = self.out / "SelfReportFFI.xcframework.zip"
        self.manifest = (self.out / "Package.swift").read_text()

    def test_the_zip_holds_the_xcframework_at_its_top_level(self):
        with zipfile.ZipFile(self.zip) as archive:
            names = set(archive.namelist())
        self.assertEqual(names, {
            "SelfReportFFI.xcframework/Info.plist",
            "SelfReportFFI.xcframework/ios-arm64/libselfreport_ffi.a",
            "SelfReportFFI.xcframework/ios-arm64/Headers/SelfReportFFI/module.modulemap",
        })

    def test_the_binary_target_names_the_url_and_the_zips_sha256(self):
        # sha256sum, not the script's own hashlib: the checksum SwiftPM will compute.
        checksum = subprocess.run(["sha256sum", str(self.zip)], capture_output=True, text=True,
                                  check=True).stdout.split()[0]
        self.assertIn(
            '.binaryTarget(\n            name: "SelfReportFFI",\n'
            f'            url: "{BASE_URL}/SelfReportFFI.xcframework.zip",\n'
            f'            checksum: "{checksum}"\n        )',
            self.manifest,
        )
        self.assertNotIn('path: "SelfReportFFI.xcframework"', self.manifest)
        self.assertNotIn(".testTarget(", self.manifest)
        self.assertNotIn("Build both on a Mac", self.manifest)
        self.assertTrue(self.manifest.startswith("// swift-tools-version:5.10\n"))
        self.assertIn("selfreport 0.1.0", self.manifest)

    def test_everything_else_is_the_development_manifest(self):
        local = (ROOT / "bindings" / "swift" / "Package.swift").read_text()
        for line in ('.library(name: "SelfReportCore", targets: ["SelfReportCore"])',
                     'platforms: [.iOS(.v15), .macOS(.v12)]', '.linkedFramework("CoreFoundation")',
                     'dependencies: ["SelfReportFFI"]'):
            self.assertIn(line, local)
            self.assertIn(line, self.manifest)
        # The development form keeps the local path.
        self.assertIn('.binaryTarget(name: "SelfReportFFI", path: "SelfReportFFI.xcframework")', local)

    def test_the_sources_are_the_committed_generated_module_and_the_hand_written_swift(self):
        sources = self.out / "Sources" / "SelfReportCore"
        self.assertEqual(sorted(p.name for p in sources.iterdir()),
                         ["LocalDate.swift", "SelfReportCore+Swift.swift", "SelfReportCore.swift"])
        generated = ROOT / "bindings" / "generated" / "swift" / "SelfReportCore.swift"
        self.assertEqual((sources / "SelfReportCore.swift").read_bytes(), generated.read_bytes())

    def test_the_checksum_is_reproducible_and_follows_the_bytes(self):
        again = self.tmp / "again"
        self.assertEqual(release(self.out.parent / "SelfReportFFI.xcframework", again).returncode, 0)
        self.assertEqual((again / "SelfReportFFI.xcframework.zip").read_bytes(), self.zip.read_bytes())
        other = self.tmp / "other"
        other.mkdir()
        changed = self.tmp / "changed"
        self.assertEqual(release(stand_in(other, b"!<arch>\nanother build\n"), changed).returncode, 0)
        self.assertNotEqual((changed / "Package.swift").read_text(), self.manifest)

    def test_a_plain_http_url_is_refused(self):
        result = release(self.out.parent / "SelfReportFFI.xcframework", self.tmp / "http",
                         "http://example.org/releases")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("https", result.stderr)


if __name__ == "__main__":
    unittest.main()
