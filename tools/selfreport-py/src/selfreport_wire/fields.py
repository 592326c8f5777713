"""The strict check of an opened part's fields against its form (protocol.md "Opening"):
every field declared in the form, uploaded and routed to this recipient, its value of
exactly the shape and precision its transform produces, required fields present.

A field that does not conform becomes a flag `(field, problem)`; nothing is accepted
silently. Kind validations that need the core's tables (GB/T 2260 districts,
libphonenumber ranges) are reduced to the value's shape here.
"""

import re
from datetime import date, timedelta
from typing import Any

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEK = re.compile(r"\d{4}-W\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")
_DISTRICT = re.compile(r"\d{6}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_PHONE = re.compile(r"\+[1-9]\d{1,14}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_RESIDENT_ID = re.compile(r"\d{17}[\dX]")
_TRANSPORT = re.compile(r"([A-Z]|[A-Z0-9]{2})?\d{1,5}[A-Z]?")
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

Flag = tuple[str, str]


def check_fields(
    form: dict[str, Any], recipient: str, fields: dict[str, Any], record_date: str, dummy: bool
) -> list[Flag]:
    """Flags for every field of `fields` that the form does not route to `recipient` in
    exactly this shape, and for every required routed field that is missing."""
    declared = {field["id"]: field for field in form["fields"]}
    flags: list[Flag] = []
    for name, value in fields.items():
        field = declared.get(name)
        if field is None:
            flags.append((name, "not a field of the form"))
        elif field.get("upload", "omit") == "omit":
            flags.append((name, "not uploaded by the policy"))
        elif field.get("to") != recipient:
            flags.append((name, f"routed to {field.get('to')!r}, not {recipient!r}"))
        else:
            problem = value_problem(field, value, record_date, fields)
            if problem:
                flags.append((name, problem))
    if not dummy:
        for field in form["fields"]:
            routed = field.get("upload", "omit") != "omit" and field.get("to") == recipient
            if routed and field.get("required", False) and field["id"] not in fields:
                flags.append((field["id"], "required but absent"))
    return flags


def value_problem(
    field: dict[str, Any], value: Any, record_date: str, part: dict[str, Any] | None = None
) -> str | None:
    """Why `value` is not what `field`'s transform produces, or None when it is. `part`
    holds the part's other fields: a window's `reference` date is read from it."""
    upload = field["upload"]
    name, parameter = (upload, None) if isinstance(upload, str) else next(iter(upload.items()))
    kind = field["kind"]
    if name == "keep":
        return _kept_problem(field, value)
    if name == "threshold":
        return None if type(value) is bool else "a threshold gives a boolean"
    if name == "round":
        return _rounded_problem(kind, value, parameter)
    if name == "generalize":
        if kind == "travel_history":
            return _legs_problem(value, lambda place: _generalized(place, parameter))
        return None if _generalized(value, parameter) else f"not generalized to {parameter}"
    if name == "age_band":
        ok = (isinstance(value, dict) and set(value) == {"from", "to"}
              and all(type(value[end]) is int for end in value)
              and value["from"] % parameter == 0 and value["to"] == value["from"] + parameter - 1)
        return None if ok else f"not an age band {parameter} years wide"
    if name == "coarsen_date":
        pattern = _WEEK if parameter == "week" else _MONTH
        ok = isinstance(value, str) and pattern.fullmatch(value)
        return None if ok else f"not a {parameter}"
    if name == "window":
        if isinstance(parameter, dict):
            return _window_problem(value, parameter["days"], record_date,
                                   (part or {}).get(parameter["reference"]), True)
        return _window_problem(value, parameter, record_date)
    if name == "risk_area_visited":
        return _risk_problem(value)
    if name == "count":
        return None if type(value) is int and value >= 0 else "a count is a whole number"
    if name == "pseudonym":
        return None if isinstance(value, str) and _HEX32.fullmatch(value) else "not a pseudonym"
    return f"unknown transform {name!r}"


def _kept_problem(field: dict[str, Any], value: Any) -> str | None:
    kind = field["kind"]
    if kind == "yes_no":
        return None if type(value) is bool else "not a boolean"
    if kind == "choice":
        return None if value in field["codes"] else "not a listed code"
    if kind == "multi_choice":
        if not isinstance(value, list) or not all(code in field["codes"] for code in value):
            return "not a list of listed codes"
        positions = [field["codes"].index(code) for code in value]
        return None if positions == sorted(set(positions)) else "codes not unique in policy order"
    if kind == "temperature_c":
        if type(value) is not float or not 34.0 <= value <= 43.0:
            return "not a temperature from 34.0 to 43.0 with one decimal"
        return None if _tenths(value) is not None else "more precise than one decimal"
    if kind == "integer":
        ok = type(value) is int and field["min"] <= value <= field["max"]
        return None if ok else "not a whole number in range"
    if kind == "date":
        return None if _real_date(value) else "not a date"
    if kind == "district":
        return None if isinstance(value, str) and _DISTRICT.fullmatch(value) else "not a district code"
    if kind == "phone":
        return None if isinstance(value, str) and _PHONE.fullmatch(value) else "not an E.164 number"
    if kind == "passport_number":
        return None if isinstance(value, str) and _PASSPORT.fullmatch(value) else "not a passport number"
    if kind == "resident_id":
        return None if _resident_id_ok(value) else "not a resident ID with its check character"
    if kind == "transport_number":
        return None if isinstance(value, str) and _TRANSPORT.fullmatch(value) else "not a transport number"
    if kind in ("person_name", "text"):
        return None if isinstance(value, str) and value.strip() else "not a text"
    return f"kind {kind!r} cannot be kept"


def _tenths(value: float) -> int | None:
    tenths = round(value * 10)
    return tenths if abs(value * 10 - tenths) < 1e-6 else None


def _rounded_problem(kind: str, value: Any, step: float) -> str | None:
    if kind == "temperature_c":
        tenths = _tenths(value) if type(value) is float else None
        step_tenths = round(step * 10)
        return None if tenths is not None and tenths % step_tenths == 0 else f"not a multiple of {step}"
    ok = type(value) is int and value % int(step) == 0
    return None if ok else f"not a multiple of {step}"


def _generalized(place: Any, level: str) -> bool:
    if not isinstance(place, str) or not _DISTRICT.fullmatch(place):
        return False
    return {"district": True, "city": place.endswith("00"), "province": place.endswith("0000")}[level]


def _real_date(text: Any) -> date | None:
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _legs_problem(value: Any, place_ok: Any) -> str | None:
    if not isinstance(value, list):
        return "travel legs are a list"
    for leg in value:
        if not isinstance(leg, dict) or set(leg) != {"from", "place", "to"}:
            return "a leg has exactly from, place and to"
        start, end = _real_date(leg["from"]), _real_date(leg["to"])
        if start is None or end is None or start > end or not place_ok(leg["place"]):
            return "a leg is not a place and two ordered dates"
    return None


def _window_problem(
    value: Any, days: int, record_date: str, reference: Any = None, referenced: bool = False
) -> str | None:
    """Legs overlapping the window that ends on the record date or, for a `reference`
    (policy/2), on the date the part carries whole in that field; without it, the legs
    must at least fit one window (policy-format.md §7)."""
    problem = _legs_problem(value, lambda place: _generalized(place, "district"))
    if problem:
        return problem
    outside = f"a leg outside the {days}-day window"
    end = _real_date(reference) if referenced else _real_date(record_date)
    if referenced and end is None:
        starts = [_real_date(leg["from"]) for leg in value]
        ends = [_real_date(leg["to"]) for leg in value]
        if starts and max(starts) > min(ends) + timedelta(days=days):
            return outside
        return None
    start = end - timedelta(days=days) if end else None
    for leg in value:
        if start is None or _real_date(leg["to"]) < start or _real_date(leg["from"]) > end:
            return outside
    return None


def _risk_problem(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"last_visit_week", "visited"}:
        return "risk_area_visited has exactly last_visit_week and visited"
    if type(value["visited"]) is not bool:
        return "visited is a boolean"
    week = value["last_visit_week"]
    if value["visited"]:
        return None if isinstance(week, str) and _WEEK.fullmatch(week) else "a visit has its week"
    return None if week is None else "no visit, no week"


def _resident_id_ok(value: Any) -> bool:
    if not isinstance(value, str) or not _RESIDENT_ID.fullmatch(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _RESIDENT_WEIGHTS))
    return "10X98765432"[total % 11] == value[17]
