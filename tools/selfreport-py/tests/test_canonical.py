"""Canonical JSON: the plaintext's (UTF-8 byte order) and the ledger's (JCS, UTF-16 code
unit order), and what each refuses."""

import pytest

from selfreport_wire.canonical import dumps, dumps_jcs, loads_strict, parse_canonical
from selfreport_wire.errors import NotCanonicalJson


def test_escapes_are_serde_json_and_jcs_escapes():
    value = {"s": "\"\\\b\f\n\r\t\x01\x1f\x7f é 林 😀"}
    expected = '{"s":"\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f é 林 😀"}'.encode("utf-8")
    assert dumps(value) == expected
    assert dumps_jcs(value) == expected


def test_keys_above_the_bmp_sort_differently_in_the_two_orders():
    value = {"\ue000": 1, "😀": 2, "a": 3}
    assert dumps(value) == '{"a":3,"\ue000":1,"😀":2}'.encode("utf-8")
    assert dumps_jcs(value) == '{"a":3,"😀":2,"\ue000":1}'.encode("utf-8")


def test_the_ledger_form_holds_integers_only():
    with pytest.raises(NotCanonicalJson):
        dumps_jcs({"n": 1.5})


@pytest.mark.parametrize(
    "text",
    [b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":1} ', b'{"a":"\\u00e9"}', b'{"a":1.50}', b'{"a":1,"a":1}',
     b'{"a":NaN}', b'\xff'],
)
def test_non_canonical_bytes_are_refused(text):
    with pytest.raises(NotCanonicalJson):
        parse_canonical(text)


def test_duplicate_keys_are_refused_even_when_parsing_loosely():
    with pytest.raises(NotCanonicalJson):
        loads_strict(b'{"a":1,"a":2}')
