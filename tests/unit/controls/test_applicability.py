"""One answer on controls (issue 14): pdc.applicability decides, the roles and the audit agree.

- The rules themselves, on targets built from the catalog: level, role, opt-in, waiver (live and
  expired), kernel in a container, exception, target kind.
- For every lab host, what the inventory plugin gives Ansible (``pdc_active_controls``, the real
  ``ansible-inventory`` on a model-sourced copy of lab with an opt-in and a waiver) equals what
  the audit's applicability path (pdc.audit.catalog.verdict with the audit plugin's decisions)
  requires of that host, with and without a container.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdc import paths
from pdc.applicability import ACTIVE, NOT_APPLICABLE, WAIVED, Target, active_controls, verdict
from pdc.audit import plugin
from pdc.audit.catalog import verdict as audit_verdict
from pdc.audit.waivers import OptIn, Waiver, Waivers
from pdc.controls import load_catalog
from pdc.environment import load_environment

CATALOG = load_catalog()
TODAY = dt.date(2026, 6, 1)
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"


def _first(predicate):
    return next(c for c in CATALOG.controls if predicate(c))


def _host(**kw) -> Target:
    return Target(**{"name": "tthc-web-01", "kind": "host", "level": 3, "platform": "debian12",
                     "system": "tthc", "roles": frozenset(), **kw})


NONE = Waivers([], TODAY)


def test_level_decides():
    control = _first(lambda c: c.status == "implemented" and c.min_level == 3 and not c.kernel)
    assert verdict(control, _host(level=3), CATALOG, NONE).status == ACTIVE
    below = verdict(control, _host(level=2), CATALOG, NONE)
    assert below.status == NOT_APPLICABLE and "required from level 3" in below.reason


def test_service_role_controls_need_the_role_every_host_role_does_not():
    service = _first(lambda c: c.role not in CATALOG.every_host_roles and c.status == "implemented")
    hardening = _first(lambda c: c.role in CATALOG.every_host_roles and c.status == "implemented"
                       and c.min_level == 1 and not c.kernel)
    assert verdict(service, _host(level=5), CATALOG, NONE).reason == f"host has no {service.role} role"
    assert verdict(service, _host(level=5, roles=frozenset({service.role})), CATALOG, NONE).status == ACTIVE
    assert verdict(hardening, _host(level=1), CATALOG, NONE).status == ACTIVE


def test_opt_in_by_system_or_host_pattern():
    control = _first(lambda c: c.status == "opt-in")
    assert verdict(control, _host(level=5), CATALOG, NONE).status == NOT_APPLICABLE
    by_system = Waivers([], TODAY, [OptIn(control.id, "tthc", "*", "waivers.yml:2")])
    by_host = Waivers([], TODAY, [OptIn(control.id, None, "tthc-web-*", "waivers.yml:2")])
    assert verdict(control, _host(level=5), CATALOG, by_system).status == ACTIVE
    assert verdict(control, _host(level=5, system="other"), CATALOG, by_system).status == NOT_APPLICABLE
    assert verdict(control, _host(level=5), CATALOG, by_host).status == ACTIVE
    assert verdict(control, _host(level=5, name="tthc-db-01"), CATALOG, by_host).status == NOT_APPLICABLE


def test_a_live_waiver_waives_an_expired_one_does_not():
    control = CATALOG.by_id["PDC-SSH-006"]
    live = Waivers([Waiver(control.id, "tthc-*", "legacy monitoring probe", TODAY, "waivers.yml:3")], TODAY)
    expired = Waivers([Waiver(control.id, "tthc-*", "legacy monitoring probe", TODAY - dt.timedelta(days=1),
                              "waivers.yml:3")], TODAY)
    waived = verdict(control, _host(), CATALOG, live)
    assert waived.status == WAIVED and "waivers.yml:3" in waived.reason
    again = verdict(control, _host(), CATALOG, expired)
    assert again.status == ACTIVE and "expired" in again.reason
    assert control.id not in active_controls(_host(), CATALOG, live)


def test_kernel_controls_wait_for_the_hosts_kind_and_leave_containers():
    control = _first(lambda c: c.kernel and c.status == "implemented" and c.min_level == 1)
    assert verdict(control, _host(), CATALOG, NONE).status == ACTIVE  # not known yet
    assert verdict(control, _host(container=False), CATALOG, NONE).status == ACTIVE
    assert "needs a real kernel" in verdict(control, _host(container=True), CATALOG, NONE).reason


def test_exceptions_and_other_target_kinds_never_apply_to_a_host():
    exception = _first(lambda c: c.status == "exception")
    assert verdict(exception, _host(level=5), CATALOG, NONE).reason.startswith("catalog exception")
    host_control = CATALOG.by_id["PDC-SSH-003"]
    switch = Target(name="thanh-ha", kind="wan", level=3, platform="cisco_ios")
    assert verdict(host_control, switch, CATALOG, NONE).status == NOT_APPLICABLE


# ---------------------------------------------------------------- the roles' answer equals the audit's

WAIVERS = """\
opt_in:
  - {control: PDC-PKG-003, system: tthc, reason: no compiler on the public services portal}
waivers:
  - {control: PDC-SSH-006, hosts: "tthc-web-*", reason: legacy load balancer health probes,
     approver: "Trần Văn B, CISO", expires: %s}
"""


@pytest.fixture(scope="module")
def lab_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("env") / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", folder)
    (folder / "hosts.pdc.yml").write_text("plugin: pdc_environment\nsource: model\n")
    (folder / "waivers.yml").write_text(WAIVERS % (dt.date.today() + dt.timedelta(days=30)))
    return folder


def _ansible_inventory(folder: Path) -> subprocess.CompletedProcess:
    """The real ansible-inventory of this checkout on an environment folder."""
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "ANSIBLE_CONFIG": str(paths.ROOT / "ansible.cfg")}
    return subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(folder / "hosts.pdc.yml"), "--list"],
                          cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=120)


def _ansible_hostvars(folder: Path) -> dict:
    run = _ansible_inventory(folder)
    assert run.returncode == 0, run.stderr
    return _plain(json.loads(run.stdout)["_meta"]["hostvars"])


def _plain(value):
    """ansible-inventory marks inventory strings unsafe ({"__ansible_unsafe": text}); the text is the value."""
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else {
            k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _AuditConfig:
    """The two options the audit plugin reads to find the environment's decisions."""

    def __init__(self, env: Path):
        self.options = {"--pdc-waivers": None, "--pdc-env": str(env), "--pdc-today": None}

    def getoption(self, name):
        return self.options[name]


@pytest.fixture(scope="module")
def inventory(lab_copy) -> dict:
    return _ansible_hostvars(lab_copy)


def _audit_required(env, host, container) -> list[str]:
    decisions = plugin.decisions(_AuditConfig(env.root))
    return [c.id for c in CATALOG.controls
            if audit_verdict(c, host, decisions, container).status == ACTIVE]


def test_for_every_lab_host_the_roles_active_controls_are_the_audits(lab_copy, inventory):
    env = load_environment(lab_copy)
    assert {h.name for h in env.hosts} == set(inventory)
    for host in env.hosts:
        roles = inventory[host.name]["pdc_active_controls"]
        assert roles == _audit_required(env, host, None), host.name
        # in a container the pdc role drops pdc_kernel_controls; the audit asks with container=True
        in_container = [c for c in roles if c not in inventory[host.name]["pdc_kernel_controls"]]
        assert in_container == _audit_required(env, host, True), host.name


def test_the_environments_opt_in_and_waiver_reach_both_engines(lab_copy, inventory):
    env = load_environment(lab_copy)
    tthc = [h for h in env.hosts if h.system.id == "tthc"]
    assert tthc, "the lab has a tthc system"
    for host in tthc:
        active = inventory[host.name]["pdc_active_controls"]
        assert "PDC-PKG-003" in active, host.name  # opted in for the system
        assert ("PDC-SSH-006" in active) == (not host.name.startswith("tthc-web-")), host.name  # waived
    others = [h for h in env.hosts if h.system.id != "tthc"]
    assert others and all("PDC-PKG-003" not in inventory[h.name]["pdc_active_controls"] for h in others)


@pytest.mark.parametrize(("entry", "message"), [
    ("{control: PDC-SSH-003, reason: root logins stay off anyway}", "PDC-SSH-003 is not an opt-in control"),
    ("{control: PDC-XYZ-001, reason: a control that does not exist}", "unknown control 'PDC-XYZ-001'"),
])
def test_an_opt_in_must_name_an_opt_in_control_of_the_catalog(tmp_path, entry, message):
    folder = tmp_path / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", folder)
    (folder / "hosts.pdc.yml").write_text("plugin: pdc_environment\nsource: model\n")
    (folder / "waivers.yml").write_text(f"opt_in:\n  - {entry}\n")
    run = _ansible_inventory(folder)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "waivers.yml:2: opt_in[0].control" in run.stderr and message in run.stderr, run.stderr
