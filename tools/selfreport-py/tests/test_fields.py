"""The strict check of window transforms measured back from a `reference` date
(selfreport.policy/2, policy-format.md §7), written from the documents."""

from selfreport_wire.fields import check_fields

LEGS = [
    {"from": "2026-11-20", "place": "420106", "to": "2026-11-29"},
    {"from": "2026-11-29", "place": "310104", "to": "2026-12-02"},
]


def _form(upload):
    return {"fields": [
        {"id": "travel", "kind": "travel_history", "upload": upload, "to": "health"},
        {"id": "arrival_date", "kind": "date", "required": True, "upload": "keep", "to": "health"},
    ]}


def test_a_window_before_the_arrival_takes_legs_that_end_after_the_record_date():
    form = _form({"window": {"days": 14, "reference": "arrival_date"}})
    fields = {"travel": LEGS, "arrival_date": "2026-12-03"}
    assert check_fields(form, "health", fields, "2026-11-28", False) == []


def test_a_leg_outside_the_window_before_the_arrival_is_flagged():
    form = _form({"window": {"days": 3, "reference": "arrival_date"}})
    fields = {"travel": LEGS, "arrival_date": "2026-12-10"}
    assert check_fields(form, "health", fields, "2026-11-28", False) == [
        ("travel", "a leg outside the 3-day window")]


def test_without_a_reference_the_window_ends_on_the_record_date():
    form = _form({"window": 14})
    fields = {"travel": LEGS, "arrival_date": "2026-12-03"}
    assert check_fields(form, "health", fields, "2026-11-28", False) == [
        ("travel", "a leg outside the 14-day window")]


def test_a_reference_the_part_does_not_carry_leaves_the_legs_fitting_one_window():
    form = _form({"window": {"days": 14, "reference": "arrival_date"}})
    form["fields"][1]["upload"] = "omit"
    assert check_fields(form, "health", {"travel": LEGS}, "2026-11-28", False) == []
    far_apart = [
        {"from": "2026-10-01", "place": "420106", "to": "2026-10-02"},
        {"from": "2026-11-29", "place": "310104", "to": "2026-12-02"},
    ]
    assert check_fields(form, "health", {"travel": far_apart}, "2026-11-28", False) == [
        ("travel", "a leg outside the 14-day window")]
