"""Which devices a WAN command talks to is the environment's `source`, never whether a lab happens to run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pdc import labcontract, paths
from pdc.wan import connect, credentials

LAB_SECRETS = {"username": "pdcadmin", "password": "lab-generated-password", "secret": "lab-generated-enable",
               "snmp_auth": "lab-generated-auth", "snmp_priv": "lab-generated-priv"}


@pytest.fixture
def state(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "STATE", tmp_path)
    for key in ("USERNAME", "PASSWORD", "SECRET", "SNMP_AUTH", "SNMP_PRIV"):
        monkeypatch.delenv(f"PDC_WAN_{key}", raising=False)
    monkeypatch.delenv("PDC_WAN_VAULT", raising=False)
    return tmp_path


def publish(env, running: bool) -> subprocess.Popen | None:
    """What `pdc lab up ENV --wan-only` leaves in the state directory; with a live emulator stand-in
    whose command line names the spec, as the real server's does."""
    root = labcontract.root(env.name)
    run = root / labcontract.SWITCHES_DIR
    run.mkdir(parents=True)
    devices = {s.id: {"host": "127.0.0.1", "port": 22000 + i} for i, s in enumerate(env.sites)}
    (root / labcontract.SWITCHES_FILE).write_text(json.dumps({**LAB_SECRETS, "devices": devices}))
    if not running:
        return None
    spec = run / labcontract.SPEC_FILE
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(spec)])
    deadline = time.monotonic() + 10
    while str(spec).encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes():  # until exec is seen
        assert time.monotonic() < deadline, "the stand-in did not start"
        time.sleep(0.01)
    (run / labcontract.PID_FILE).write_text(f"{proc.pid}\n")
    (run / labcontract.READY_FILE).write_text("{}")
    return proc


@pytest.fixture
def running_lab(state, lab):
    proc = publish(lab, running=True)
    yield lab
    proc.kill()
    proc.wait()


def test_a_model_environment_targets_its_management_addresses_even_with_a_lab_running(state, haiduong):
    proc = publish(haiduong, running=True)
    try:
        sites = haiduong.sites[:3]
        targets = connect.targets(haiduong, sites)
        assert [(t.host, t.port) for t in targets.values()] == [(str(haiduong.mgmt_ip(s)), 22) for s in sites]
        with pytest.raises(credentials.CredentialsError, match="no WAN credentials for haiduong"):
            credentials.load(haiduong)  # the lab's generated credentials are never a fallback
    finally:
        proc.kill()
        proc.wait()


def test_a_lab_environment_targets_the_running_lab(running_lab):
    targets = connect.targets(running_lab, running_lab.sites)
    assert {(t.host, t.port) for t in targets.values()} == {("127.0.0.1", 22000 + i)
                                                          for i in range(len(running_lab.sites))}
    creds = credentials.load(running_lab)
    assert creds.password == LAB_SECRETS["password"] and creds.source == "lab credentials of lab"


def test_a_lab_environment_whose_lab_is_down_is_an_error_not_production(state, lab):
    publish(lab, running=False)  # `pdc lab down` keeps the credentials file but stops the emulator
    with pytest.raises(labcontract.LabNotUp, match="pdc lab up lab --wan-only"):
        connect.targets(lab, lab.sites)
    with pytest.raises(credentials.CredentialsError, match="not up"):
        credentials.load(lab)


def test_a_recycled_pid_is_not_a_running_lab(state, lab):
    publish(lab, running=False)
    run = labcontract.root(lab.name) / labcontract.SWITCHES_DIR
    (run / labcontract.READY_FILE).write_text("{}")
    (run / labcontract.PID_FILE).write_text("1\n")  # alive, but not the emulator
    with pytest.raises(labcontract.LabNotUp):
        connect.targets(lab, lab.sites)
