"""Assembles and checks org.selfreport:selfreport-android (scripts/build-android.sh runs it).

    aar.py assemble --version V --classes JAR --jni DIR --out REPO
        writes REPO/org/selfreport/selfreport-android/V/selfreport-android-V.{aar,pom}
        (with .sha1/.sha256/.md5 files) and the artifact's maven-metadata.xml
    aar.py check --version V --repo REPO --abis A,B,C [--page-size-from-config CONFIG]
        validates the AAR's layout, its classes, native libraries (ELF, and 16 KB page
        alignment unless the libraries are host stand-ins), its ProGuard rules and its POM
"""

import argparse
import hashlib
import io
import struct
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

GROUP, ARTIFACT = "org.selfreport", "selfreport-android"
MIN_SDK = 26  # android-demo/app/build.gradle.kts
PAGE = 16384
HERE = Path(__file__).resolve().parent
# What the generated bindings need at run time, with the versions bindings/kotlin/jvm uses.
DEPENDENCIES = [
    ("net.java.dev.jna", "jna", "5.19.1", "aar"),  # carries libjnidispatch.so per ABI
    ("org.jetbrains.kotlinx", "kotlinx-coroutines-android", "1.11.0", None),
    ("org.jetbrains.kotlin", "kotlin-stdlib", "2.4.21", None),
]
MANIFEST = f"""<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.selfreport">
    <uses-sdk android:minSdkVersion="{MIN_SDK}" />
</manifest>
"""
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"
# e_machine of each ABI's libraries.
MACHINES = {"arm64-v8a": 183, "armeabi-v7a": 40, "x86_64": 62, "x86": 3}


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def pom(version):
    deps = "\n".join(
        f"""    <dependency>
      <groupId>{g}</groupId>
      <artifactId>{a}</artifactId>
      <version>{v}</version>{f'''
      <type>{t}</type>''' if t else ''}
      <scope>compile</scope>
    </dependency>"""
        for g, a, v, t in DEPENDENCIES
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{GROUP}</groupId>
  <artifactId>{ARTIFACT}</artifactId>
  <version>{version}</version>
  <packaging>aar</packaging>
  <name>selfreport for Android</name>
  <description>The selfreport core (Rust, through uniffi and JNA) with its Kotlin API, the Android Keystore key source and libselfreport_ffi.so for each ABI</description>
  <licenses>
    <license>
      <name>Apache-2.0</name>
      <url>https://www.apache.org/licenses/LICENSE-2.0</url>
    </license>
  </licenses>
  <dependencies>
{deps}
  </dependencies>
</project>
"""


def entry(zip_file, name, data):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zip_file.writestr(info, data)


def artifact_dir(repo, version):
    return Path(repo) / GROUP.replace(".", "/") / ARTIFACT / version


def with_checksums(path, data):
    path.write_bytes(data)
    for algorithm in ("md5", "sha1", "sha256"):
        Path(f"{path}.{algorithm}").write_text(hashlib.new(algorithm, data).hexdigest())


def assemble(args):
    jni = Path(args.jni)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as aar:
        entry(aar, "AndroidManifest.xml", MANIFEST)
        entry(aar, "classes.jar", Path(args.classes).read_bytes())
        entry(aar, "proguard.txt", (HERE / "consumer-rules.pro").read_bytes())
        entry(aar, "R.txt", b"")
        for library in sorted(jni.glob("*/libselfreport_ffi.so")):
            entry(aar, f"jni/{library.parent.name}/{library.name}", library.read_bytes())
    out = artifact_dir(args.out, args.version)
    out.mkdir(parents=True, exist_ok=True)
    with_checksums(out / f"{ARTIFACT}-{args.version}.aar", buffer.getvalue())
    with_checksums(out / f"{ARTIFACT}-{args.version}.pom", pom(args.version).encode())
    (out.parent / "maven-metadata.xml").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>{GROUP}</groupId>
  <artifactId>{ARTIFACT}</artifactId>
  <versioning>
    <latest>{args.version}</latest>
    <release>{args.version}</release>
    <versions>
      <version>{args.version}</version>
    </versions>
  </versioning>
</metadata>
"""
    )
    print(f"{out}/{ARTIFACT}-{args.version}.aar")


def elf_load_alignments(data):
    """(e_type, e_machine, [p_align of each PT_LOAD]) of a 32- or 64-bit little-endian ELF."""
    if data[:4] != b"\x7fELF" or data[5] != 1:
        raise ValueError("not a little-endian ELF file")
    is64 = data[4] == 2
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if is64:
        e_phoff, = struct.unpack_from("<Q", data, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    else:
        e_phoff, = struct.unpack_from("<I", data, 28)
        e_phentsize, e_phnum = struct.unpack_from("<HH", data, 42)
    aligns = []
    for index in range(e_phnum):
        offset = e_phoff + index * e_phentsize
        p_type, = struct.unpack_from("<I", data, offset)
        if p_type == 1:  # PT_LOAD
            aligns.append(struct.unpack_from("<Q", data, offset + 48)[0] if is64
                          else struct.unpack_from("<I", data, offset + 28)[0])
    return e_type, e_machine, aligns


def check(args):
    abis = args.abis.split(",")
    folder = artifact_dir(args.repo, args.version)
    aar_path = folder / f"{ARTIFACT}-{args.version}.aar"
    pom_path = folder / f"{ARTIFACT}-{args.version}.pom"
    for path in (aar_path, pom_path):
        if not path.is_file():
            fail(f"{path} is missing")
        for algorithm in ("md5", "sha1", "sha256"):
            expected = hashlib.new(algorithm, path.read_bytes()).hexdigest()
            if Path(f"{path}.{algorithm}").read_text().strip() != expected:
                fail(f"{path}.{algorithm} does not match the file")

    with zipfile.ZipFile(aar_path) as aar:
        names = set(aar.namelist())
        required = {"AndroidManifest.xml", "classes.jar", "proguard.txt", "R.txt"}
        required |= {f"jni/{abi}/libselfreport_ffi.so" for abi in abis}
        if missing := required - names:
            fail(f"the AAR lacks {sorted(missing)}")
        if extra := {n for n in names - required if not n.endswith("/")}:
            fail(f"the AAR holds unexpected entries {sorted(extra)}")

        manifest = ET.fromstring(aar.read("AndroidManifest.xml"))
        if manifest.get("package") != "org.selfreport":
            fail("AndroidManifest.xml: package is not org.selfreport")
        uses_sdk = manifest.find("uses-sdk")
        if uses_sdk is None or uses_sdk.get(f"{ANDROID_NS}minSdkVersion") != str(MIN_SDK):
            fail(f"AndroidManifest.xml: minSdkVersion is not {MIN_SDK}")

        with zipfile.ZipFile(io.BytesIO(aar.read("classes.jar"))) as classes:
            class_names = set(classes.namelist())
        for needed in ("org/selfreport/SelfReport.class", "org/selfreport/KeySource.class",
                       "org/selfreport/android/AndroidKeystoreKeySource.class"):
            if needed not in class_names:
                fail(f"classes.jar lacks {needed}")
        if leaked := sorted(n for n in class_names if n.startswith(("android/", "com/sun/jna/", "kotlin/"))):
            fail(f"classes.jar carries classes of other packages: {leaked[:5]}")

        rules = aar.read("proguard.txt").decode()
        for rule in ("-keep class org.selfreport.* { *; }", "-keep class com.sun.jna.** { *; }"):
            if rule not in rules:
                fail(f"proguard.txt lacks '{rule}'")

        for abi in abis:
            data = aar.read(f"jni/{abi}/libselfreport_ffi.so")
            try:
                e_type, machine, aligns = elf_load_alignments(data)
            except (ValueError, struct.error) as error:
                fail(f"jni/{abi}/libselfreport_ffi.so: {error}")
            if e_type != 3:
                fail(f"jni/{abi}/libselfreport_ffi.so is not a shared object")
            if args.host_stand_in:
                continue
            if machine != MACHINES[abi]:
                fail(f"jni/{abi}/libselfreport_ffi.so is built for machine {machine}, not {abi}")
            if not aligns or min(aligns) < PAGE:
                fail(f"jni/{abi}/libselfreport_ffi.so: PT_LOAD alignment {aligns}, not 16 KB")

    # The 16 KB flag is set for every Android target in the cargo config (what the real
    # build uses; the host stand-ins cannot show it).
    config = tomllib.loads(Path(args.cargo_config).read_text())
    for target in ("aarch64-linux-android", "armv7-linux-androideabi", "x86_64-linux-android"):
        flags = config.get("target", {}).get(target, {}).get("rustflags", [])
        if "link-arg=-Wl,-z,max-page-size=16384" not in flags:
            fail(f"{args.cargo_config}: {target} does not link with -z max-page-size=16384")

    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    project = ET.parse(pom_path).getroot()
    coordinates = tuple(project.find(f"m:{tag}", ns).text for tag in ("groupId", "artifactId", "version", "packaging"))
    if coordinates != (GROUP, ARTIFACT, args.version, "aar"):
        fail(f"POM coordinates {coordinates}")
    dependencies = {
        (d.find("m:groupId", ns).text, d.find("m:artifactId", ns).text): d
        for d in project.iterfind("m:dependencies/m:dependency", ns)
    }
    for group, artifact, version, kind in DEPENDENCIES:
        dependency = dependencies.get((group, artifact))
        if dependency is None:
            fail(f"the POM does not depend on {group}:{artifact}")
        found_type = dependency.find("m:type", ns)
        if kind and (found_type is None or found_type.text != kind):
            fail(f"the POM's {group}:{artifact} is not of type {kind}")
    print(f"{aar_path.name}: layout, classes, {len(abis)} ABIs"
          f"{' (host stand-ins)' if args.host_stand_in else ', 16 KB aligned'}, ProGuard rules and POM checked")


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    a = commands.add_parser("assemble")
    a.add_argument("--version", required=True)
    a.add_argument("--classes", required=True)
    a.add_argument("--jni", required=True)
    a.add_argument("--out", required=True)
    c = commands.add_parser("check")
    c.add_argument("--version", required=True)
    c.add_argument("--repo", required=True)
    c.add_argument("--abis", required=True)
    c.add_argument("--cargo-config", required=True)
    c.add_argument("--host-stand-in", action="store_true")
    args = parser.parse_args()
    assemble(args) if args.command == "assemble" else check(args)


if __name__ == "__main__":
    main()
