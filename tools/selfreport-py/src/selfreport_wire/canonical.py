"""Canonical JSON as protocol.md defines it for sealed plaintexts.

Object keys in byte order (UTF-8 byte order is code point order, which is how Python
compares strings), no whitespace, strings escaped as serde_json escapes them (`"`, `\\`,
`\\b \\f \\n \\r \\t`, other control characters as lowercase `\\u00xx`, everything else as
raw UTF-8), numbers as written. The check is by round trip: bytes are canonical when
encoding the value they parse to gives the same bytes back.
"""

import json
from typing import Any

from .errors import NotCanonicalJson


def _refuse_constant(name: str) -> Any:
    raise NotCanonicalJson(f"{name} is not JSON")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise NotCanonicalJson(f"duplicate key {key!r}")
        result[key] = value
    return result


def loads_strict(data: bytes | str) -> Any:
    """Parses JSON refusing duplicate keys, NaN and Infinity (two parsers must agree)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotCanonicalJson(f"not JSON: {error}") from None


def dumps(value: Any) -> bytes:
    """The canonical encoding of `value`."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _jcs_ordered(value: Any) -> Any:
    """`value` with every object's keys in UTF-16 code unit order and no non-integer
    number (ledger entries hold integers only)."""
    if isinstance(value, dict):
        return {key: _jcs_ordered(value[key]) for key in sorted(value, key=lambda k: k.encode("utf-16-be"))}
    if isinstance(value, list):
        return [_jcs_ordered(item) for item in value]
    if isinstance(value, float):
        raise NotCanonicalJson("a ledger entry holds integers only")
    return value


def dumps_jcs(value: Any) -> bytes:
    """RFC 8785 (JCS) restricted to what ledger entries hold: keys sorted by UTF-16 code
    units (which differs from byte order only above U+FFFF), no whitespace, JCS string
    escapes (the same as serde_json's), integers."""
    return json.dumps(
        _jcs_ordered(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def parse_canonical(data: bytes) -> Any:
    """Parses `data` and checks it is exactly the canonical encoding of what it holds."""
    value = loads_strict(data)
    if dumps(value) != data:
        raise NotCanonicalJson("the bytes are not the canonical encoding of their value")
    return value
