"""Waivers: matching by control and host pattern, expiry, and clear errors for bad files."""

from __future__ import annotations

import datetime as dt

import pytest

from pdc.audit.waivers import WaiverErrors, load_waivers

TODAY = dt.date(2026, 11, 30)


def write(tmp_path, text):
    path = tmp_path / "waivers.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_live_waiver_waives_matching_hosts_only(tmp_path):
    path = write(tmp_path, """
waivers:
  - control: PDC-FW-003
    hosts: "tthc-*"
    reason: jump host migration, ticket SOC-123
    approver: Trần Thị B, CISO
    expires: 2026-12-31
""")
    waivers = load_waivers(path, {"PDC-FW-003"}, today=TODAY)
    decision = waivers.decide("PDC-FW-003", "tthc-web-01")
    assert decision.waived and "until 2026-12-31" in decision.note and "waivers.yml:3" in decision.note
    assert waivers.decide("PDC-FW-003", "qlvb-app-01") is None
    assert waivers.decide("PDC-SSH-003", "tthc-web-01") is None


def test_expiry_day_is_still_valid_and_the_day_after_is_a_failure(tmp_path):
    path = write(tmp_path, """
waivers:
  - {control: PDC-SSH-004, reason: legacy client until cut-over, approver: CISO, expires: 2026-11-30}
""")
    assert load_waivers(path, today=TODAY).decide("PDC-SSH-004", "any").waived
    later = load_waivers(path, today=TODAY + dt.timedelta(days=1)).decide("PDC-SSH-004", "any")
    assert not later.waived and later.note.startswith("waiver expired on 2026-11-30")


def test_a_live_waiver_beats_an_expired_one(tmp_path):
    path = write(tmp_path, """
waivers:
  - {control: PDC-SSH-004, reason: "first exception, long gone", approver: CISO, expires: 2025-01-01}
  - {control: PDC-SSH-004, hosts: "qlvb-*", reason: renewed on 2026-11-01, approver: CISO, expires: 2027-01-01}
""")
    waivers = load_waivers(path, today=TODAY)
    assert waivers.decide("PDC-SSH-004", "qlvb-app-01").waived
    assert not waivers.decide("PDC-SSH-004", "tthc-web-01").waived


def test_missing_file_means_no_waivers(tmp_path):
    assert load_waivers(tmp_path / "absent.yml").waivers == []


@pytest.mark.parametrize("body, where, message", [
    ("waivers:\n  - {control: PDC-SSH-004, reason: too short, approver: CISO, expires: 2027-01-01}\n",
     ":2", "at least 10"),
    ("waivers:\n  - control: PDC-SSH-004\n    reason: a reason long enough\n", ":2", "required field is missing"),
    ("waivers:\n  - control: PDC-XXX-999\n    reason: a reason long enough\n    approver: CISO\n"
     "    expires: 2027-01-01\n",
     ":2", "unknown control 'PDC-XXX-999'"),
    ("waivers:\n  - control: PDC-SSH-004\n    reason: a reason long enough\n    approver: CISO\n"
     "    expires: someday\n",
     ":5", "must be a date"),
])
def test_bad_waivers_name_file_line_and_field(tmp_path, body, where, message):
    path = write(tmp_path, body)
    with pytest.raises(WaiverErrors) as exc:
        load_waivers(path, {"PDC-SSH-004"}, today=TODAY)
    text = str(exc.value)
    assert f"waivers.yml{where}" in text and message in text, text


WAIVER = "waivers:\n  - control: PDC-SSH-004\n    reason: legacy client until cut-over\n{extra}"


@pytest.mark.parametrize("extra, where, field, message", [
    ("    expires: 2027-01-01\n", ":2", "waivers[0].approver", "required field is missing"),
    ("    approver: \"CISO\\nhidden\"\n    expires: 2027-01-01\n", ":4", "waivers[0].approver",
     "one line of printable text"),
    ("    approver: CISO\n    expires: \"2027-01-01\"\n", ":5", "waivers[0].expires", "must be a date"),
    ("    approver: CISO\n    expires: 2027-02-30\n", ":5", "waivers[0].expires", "day is out of range"),
    ("    approver: CISO\n    hosts: \"web-01 || true\"\n    expires: 2027-01-01\n", ":5", "waivers[0].hosts",
     "invalid value"),
    ("    approver: CISO\n    expires: 2027-12-01\n", ":5", "waivers[0].expires", "more than 365 days ahead"),
])
def test_waiver_needs_an_approver_a_real_date_and_a_bounded_lifetime(tmp_path, extra, where, field, message):
    path = write(tmp_path, WAIVER.format(extra=extra))
    with pytest.raises(WaiverErrors) as exc:
        load_waivers(path, {"PDC-SSH-004"}, today=TODAY, max_days=365)
    assert any(f"waivers.yml{where}" in str(e) and e.field == field and message in e.message
               for e in exc.value.errors), str(exc.value)


def test_lifetime_limit_is_inclusive(tmp_path):
    path = write(tmp_path, WAIVER.format(extra=f"    approver: CISO\n    expires: {TODAY + dt.timedelta(days=30)}\n"))
    assert load_waivers(path, today=TODAY, max_days=30).waivers
    with pytest.raises(WaiverErrors):
        load_waivers(path, today=TODAY, max_days=29)
