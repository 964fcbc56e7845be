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
  - {control: PDC-SSH-004, reason: legacy client until cut-over, expires: 2026-11-30}
""")
    assert load_waivers(path, today=TODAY).decide("PDC-SSH-004", "any").waived
    later = load_waivers(path, today=TODAY + dt.timedelta(days=1)).decide("PDC-SSH-004", "any")
    assert not later.waived and later.note.startswith("waiver expired on 2026-11-30")


def test_a_live_waiver_beats_an_expired_one(tmp_path):
    path = write(tmp_path, """
waivers:
  - {control: PDC-SSH-004, reason: "first exception, long gone", expires: 2025-01-01}
  - {control: PDC-SSH-004, hosts: "qlvb-*", reason: renewed by the CISO on 2026-11-01, expires: 2027-01-01}
""")
    waivers = load_waivers(path, today=TODAY)
    assert waivers.decide("PDC-SSH-004", "qlvb-app-01").waived
    assert not waivers.decide("PDC-SSH-004", "tthc-web-01").waived


def test_missing_file_means_no_waivers(tmp_path):
    assert load_waivers(tmp_path / "absent.yml").waivers == []


@pytest.mark.parametrize("body, where, message", [
    ("waivers:\n  - {control: PDC-SSH-004, reason: too short, expires: 2027-01-01}\n", ":2", "at least 10"),
    ("waivers:\n  - control: PDC-SSH-004\n    reason: a reason long enough\n", ":2", "required field is missing"),
    ("waivers:\n  - control: PDC-XXX-999\n    reason: a reason long enough\n    expires: 2027-01-01\n",
     ":2", "unknown control 'PDC-XXX-999'"),
    ("waivers:\n  - control: PDC-SSH-004\n    reason: a reason long enough\n    expires: someday\n",
     ":4", "valid date"),
])
def test_bad_waivers_name_file_line_and_field(tmp_path, body, where, message):
    path = write(tmp_path, body)
    with pytest.raises(WaiverErrors) as exc:
        load_waivers(path, {"PDC-SSH-004"}, today=TODAY)
    text = str(exc.value)
    assert f"waivers.yml{where}" in text and message in text, text
