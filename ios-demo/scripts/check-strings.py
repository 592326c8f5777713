#!/usr/bin/env python3
"""Checks the demo's string tables without Xcode: both languages parse, have the same keys
and the same format arguments, and every key the Swift sources name exists.

    ios-demo/scripts/check-strings.py

Keys are dotted (`preview.send`); a key that takes arguments ends with its format
specifiers (`sync.finished %lld %lld %lld`), and each translation must use the same ones,
positionally (`%2$lld`) if it reorders them. Swift sources never interpolate into a
localized literal (`Text("a \\(b)")`): they call `L10n.format` with such a key.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "SelfReportDemo"
RESOURCES = SOURCES / "Resources"
LANGUAGES = ["en", "zh-Hans"]
# Keys built at run time from a code the core or the policy gives; a missing one falls
# back to the code itself, so they are not required.
DYNAMIC_PREFIXES = ("code.", "transform.", "recipient.", "error.code.", "ledger.problem.", "deletion.outcome.",
                    "revocation.reason.", "access.reason.")

ENTRY = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)";\s*$')
SPECIFIER = re.compile(r"%(?:(\d+)\$)?(@|lld|d|ld|%)")
KEY_LITERAL = re.compile(r'"([a-z][a-z0-9-]*(?:\.[A-Za-z0-9_-]+)+(?: %[@a-z]+)*)"')
INTERPOLATED_LOCALIZED = re.compile(r'\b(?:Text|Button|Label|Section|Toggle|TextField)\("[^"]*\\\(')


def parse(path):
    """The table's entries; exits on any line that is not an entry or a comment."""
    entries = {}
    problems = []
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        match = ENTRY.match(stripped)
        if not match:
            problems.append(f"{path}:{number}: not a strings entry: {stripped[:60]}")
            continue
        key, value = match.groups()
        if key in entries:
            problems.append(f"{path}:{number}: duplicate key {key}")
        entries[key] = value
    return entries, problems


def specifiers(text):
    """The format arguments of `text` in argument order, e.g. ['@', 'lld']."""
    found = [(position, kind) for position, kind in SPECIFIER.findall(text) if kind != "%"]
    if any(position for position, _ in found):
        if not all(position for position, _ in found):
            return None  # mixing positional and plain specifiers
        return [kind for _, kind in sorted(found, key=lambda item: int(item[0]))]
    return [kind for _, kind in found]


def main():
    problems = []
    tables = {}
    for language in LANGUAGES:
        entries, parse_problems = parse(RESOURCES / f"{language}.lproj" / "Localizable.strings")
        problems += parse_problems
        tables[language] = entries

    english = tables["en"]
    for language in LANGUAGES[1:]:
        other = tables[language]
        for key in sorted(english.keys() - other.keys()):
            problems.append(f"{language}: missing {key}")
        for key in sorted(other.keys() - english.keys()):
            problems.append(f"{language}: not in en: {key}")

    for language, entries in tables.items():
        for key, value in entries.items():
            expected = specifiers(key)
            if specifiers(value) != expected:
                problems.append(f"{language}: {key}: arguments {specifiers(value)} but the key says {expected}")

    namespaces = {key.split(".")[0] for key in english}
    used = set()
    for source in sorted(SOURCES.rglob("*.swift")):
        text = source.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if INTERPOLATED_LOCALIZED.search(line):
                problems.append(f"{source.relative_to(ROOT)}:{number}: interpolation in a localized literal; use L10n.format")
            for key in KEY_LITERAL.findall(line):
                if key.split(".")[0] in namespaces:
                    used.add(key)
                    if key not in english:
                        problems.append(f"{source.relative_to(ROOT)}:{number}: no string for {key}")

    unused = sorted(k for k in english.keys() - used if not k.startswith(DYNAMIC_PREFIXES))
    for key in unused:
        problems.append(f"en: unused key {key}")

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"strings ok: {len(english)} keys in {', '.join(LANGUAGES)}; {len(used)} used by the sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
