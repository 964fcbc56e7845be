"""The push's use of the device's own revert (IOS), with fake sessions: the archive is rendered and
enabled before the timer, a new login confirms, and without one pdc waits for the device's revert."""

from __future__ import annotations

import pytest

from pdc.wan import connect, push, render
from pdc.wan.lockout import lines_of
from pdc.wan.platforms import driver
from pdc.wan.report import FAILED, Result


class Session:
    def __init__(self, config: str):
        self.config, self.closed, self.saves, self.sent = config, False, 0, []

    def disconnect(self):
        self.closed = True

    def save_config(self, **_):
        self.saves += 1
        return "Building configuration...\n[OK]"

    def send_command(self, command, **_):
        self.sent.append(command)
        return ""


@pytest.fixture
def job(haiduong, creds):
    target = connect.Target(haiduong.site("dc"), "10.250.0.1", 22)
    return push.Job(target, "", creds, True, None, None, settled={})


def test_ios_renders_the_archive_and_vrp_has_no_device_revert(haiduong, creds):
    ios = driver("cisco_ios")
    assert ios.reverts and ios.revert_open.format(minutes=5) == "configure terminal revert timer 5"
    assert ios.revert_confirm == "configure confirm"
    text = render.render_site(haiduong, haiduong.site("dc"), creds)
    assert "archive\n path flash:pdc-archive\n maximum 5\n" in text
    vrp = driver("huawei_vrp")
    assert not vrp.reverts and "controller-side rollback" in vrp.revert_note
    assert "reverted-by-device" in FAILED


def test_holds_finds_the_archive_section():
    from pdc.wan import diff

    setup = driver("cisco_ios").revert_setup
    assert push._holds(lines_of(diff.parse("archive\n path flash:pdc-archive\n maximum 5\n")), setup)
    assert not push._holds(lines_of(diff.parse("archive\n path flash:other\n")), setup)
    assert not push._holds(lines_of(diff.parse("hostname dc\n")), setup)


@pytest.fixture
def fast(monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(push.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(push.time, "sleep", lambda s: clock.__setitem__("now", clock["now"] + s))
    monkeypatch.setattr(connect, "running_config", lambda conn, platform: conn.config)
    monkeypatch.setattr(connect, "startup_config", lambda conn, platform: conn.config)
    return clock


def test_no_login_until_the_device_reverted_then_reverted_by_device(job, fast, monkeypatch):
    base = "hostname dc\nntp server 10.20.3.11\n"
    attempts = []

    def fake_connect(target, creds, log=None):
        attempts.append(fast["now"])
        if fast["now"] < 1000.0 + 5 * 60:
            raise ConnectionRefusedError()
        return Session(base)

    monkeypatch.setattr(connect, "connect", fake_connect)
    revert = push.Revert(base, 1000.0, archive_enabled=False)
    result = push._await_revert(job, revert, "a new session cannot log in (connection refused)", 4, None)
    assert result.status == "reverted-by-device" and result.failed
    assert "the device reverted on its own" in result.reason and "equals the backup" in result.reason
    assert len(attempts) > 3 and job.settled["dc"] == base


def test_a_device_that_never_reverts_is_a_failed_rollback(job, fast, monkeypatch):
    monkeypatch.setattr(connect, "connect", lambda *a, **k: Session("hostname changed\n"))
    revert = push.Revert("hostname dc\n", 1000.0, archive_enabled=False)
    result = push._await_revert(job, revert, "a new session cannot log in", 4, None)
    assert result.status == "failed-rollback-failed"
    assert "not the archived one yet" in result.reason
    assert fast["now"] >= 1000.0 + 5 * 60 + push.REVERT_GRACE


def test_a_new_login_confirms_on_the_new_session(job, monkeypatch):
    proof = Session("")
    monkeypatch.setattr(connect, "connect", lambda *a, **k: proof)
    assert push._prove_and_confirm(job) is None
    assert proof.sent == ["configure confirm"] and proof.closed


def test_a_refused_login_confirms_nothing(job, monkeypatch):
    def refused(*a, **k):
        raise ConnectionRefusedError()

    monkeypatch.setattr(connect, "connect", refused)
    assert push._prove_and_confirm(job) == "connection refused"


def test_a_restore_under_a_pending_timer_proves_a_login_then_confirms(job, monkeypatch):
    config = "hostname dc\n"
    old = Session(config)
    monkeypatch.setattr(push, "_resync", lambda conn: None)
    monkeypatch.setattr(connect, "running_config", lambda conn, platform: conn.config)
    monkeypatch.setattr(connect, "startup_config", lambda conn, platform: conn.config)
    monkeypatch.setattr(connect, "connect", lambda *a, **k: Session(config))
    revert = push.Revert(config, 0.0, archive_enabled=False)
    result = push._restore(job, old, config, "refused", 3, None, "over the same session", prove_login=True,
                           revert=revert)
    assert isinstance(result, Result) and result.status == "failed-rolled-back"
    assert old.sent == ["configure confirm"] and old.saves == 1
    assert "pending timer confirmed" in result.details["revert"]
