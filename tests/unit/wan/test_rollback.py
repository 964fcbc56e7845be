"""Which session a rollback uses: the live one (a new login proven before it closes), else a new one."""

from __future__ import annotations

import pytest

from pdc.wan import connect, push
from pdc.wan.report import Result


class Session:
    def __init__(self, name: str, alive: bool = True):
        self.name, self.alive, self.closed = name, alive, False

    def disconnect(self):
        self.closed = True


@pytest.fixture
def job(haiduong, creds):
    target = connect.Target(haiduong.site("dc"), "10.250.0.1", 22)
    return push.Job(target, "", creds, True, None, None)


@pytest.fixture
def world(monkeypatch):
    """connect.connect hands out new sessions (or fails); _restore records the session it ran over."""
    state = {"logins": [], "restored_over": [], "login_fails": False, "restore_fails_on": set()}

    def fake_connect(target, creds, log=None):
        if state["login_fails"]:
            raise ConnectionRefusedError()
        session = Session(f"new-{len(state['logins'])}")
        state["logins"].append(session)
        return session

    def fake_restore(job, conn, before, reason, lines, backup, path, prove_login, revert=None):
        state["restored_over"].append((conn.name, prove_login))
        if conn.name in state["restore_fails_on"]:
            raise OSError("socket closed")
        return Result(job.site, "failed-rolled-back", f"{reason}; restored {path}", details={"rollback": path})

    monkeypatch.setattr(connect, "connect", fake_connect)
    monkeypatch.setattr(push, "_restore", fake_restore)
    monkeypatch.setattr(push, "_alive", lambda conn: conn.alive)
    return state


def test_a_live_session_is_used_and_asked_to_prove_a_new_login(job, world):
    old = Session("old")
    result = push._rollback(job, old, "before", "refused", 3, None)
    assert result.status == "failed-rolled-back" and result.details["rollback"] == "over the same session"
    assert world["restored_over"] == [("old", True)]
    assert world["logins"] == [] and old.closed


def test_a_dead_session_is_replaced(job, world):
    old = Session("old", alive=False)
    result = push._rollback(job, old, "before", "dropped", 3, None)
    assert result.details["rollback"] == "over a new session (the first one was dead)"
    assert world["restored_over"] == [("new-0", False)] and old.closed


def test_a_live_session_that_fails_mid_rollback_is_treated_as_dead(job, world):
    world["restore_fails_on"] = {"old"}
    result = push._rollback(job, Session("old"), "before", "refused", 3, None)
    assert world["restored_over"] == [("old", True), ("new-0", False)]
    assert "over a new session (the first one was dead: connection lost" in result.details["rollback"]


def test_no_new_session_when_the_old_one_is_dead_and_login_fails(job, world):
    world["login_fails"] = True
    result = push._rollback(job, Session("old", alive=False), "before", "dropped", 3, None)
    assert result.status == "failed-rollback-failed"
    assert result.reason == ("dropped; rollback over a new session (the first one was dead): cannot reconnect "
                             "(connection refused)")


class Device(Session):
    """A session whose device already holds the backup: the restore sends nothing, then saves."""

    def __init__(self, config: str):
        super().__init__("old")
        self.config, self.saves = config, 0

    def save_config(self, **_):
        self.saves += 1
        return "Building configuration...\n[OK]"


@pytest.mark.parametrize("login_fails", [False, True])
def test_restore_saves_reads_startup_back_and_proves_a_new_login(job, monkeypatch, login_fails):
    config = "hostname dc\nntp server 10.20.3.11\n"
    device = Device(config)
    logins = []

    def fake_connect(target, creds, log=None):
        logins.append(target.host)
        if login_fails:
            raise ConnectionRefusedError()
        return Session("proof")

    monkeypatch.setattr(push, "_resync", lambda conn: None)
    monkeypatch.setattr(connect, "running_config", lambda conn, platform: conn.config)
    monkeypatch.setattr(connect, "startup_config", lambda conn, platform: conn.config)
    monkeypatch.setattr(connect, "connect", fake_connect)
    result = push._restore(job, device, config, "refused", 3, None, "over the same session", prove_login=True)
    assert device.saves == 1 and logins == ["10.250.0.1"] and not device.closed
    if login_fails:
        assert result.status == "failed-rollback-failed"
        assert result.reason.endswith("restored and saved, but a new login fails (connection refused)")
    else:
        assert result.status == "failed-rolled-back"


def test_restore_refuses_a_startup_that_differs_after_the_save(job, monkeypatch):
    device = Device("hostname dc\n")
    monkeypatch.setattr(push, "_resync", lambda conn: None)
    monkeypatch.setattr(connect, "running_config", lambda conn, platform: conn.config)
    monkeypatch.setattr(connect, "startup_config", lambda conn, platform: "hostname old\n")
    with pytest.raises(push.PushError, match="startup config still differs"):
        push._restore(job, device, "hostname dc\n", "refused", 3, None, "over the same session", prove_login=True)
