"""One place to change: a service's port edited once in environment.yml reaches every engine.

On a copy of `lab`, only the syslog port changes, by one edit of environment.yml. Then, with no
other file edited: the planned security groups (the real tenant program under Pulumi's mocks),
the collector's nftables and rsyslog listeners and a client's rsyslog forward (the real role
templates rendered by ansible-playbook with the inventory plugin's host variables), every
rendered WAN config, and the audit's expectations all carry the new port, and none the old.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from ansible_support import run_playbook

from pdc import paths
from pdc.audit import expected
from pdc.environment import Environment, load_environment
from pdc.flows import flows
from pdc.plan import plan
from pdc.wan import credentials, render

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
NEW_PORT = 6514  # the syslog-over-TLS port: appears nowhere in lab
TEMPLATES = {  # (role, template) rendered for the collector, then for one client host
    "collector nftables": ("firewall", "nftables.conf.j2"),
    "collector rsyslog": ("soc_collector", "10-pdc-collector.conf.j2"),
    "client rsyslog": ("logging", "50-pdc-forward.conf.j2"),
}


def _edited_copy(tmp_path: Path) -> Path:
    """inventories/lab copied, with the one line `ports: [514]` of services.syslog changed."""
    root = tmp_path / "lab"
    shutil.copytree(paths.INVENTORIES / "lab", root)
    (root / "hosts.pdc.yml").write_text("plugin: pdc_environment\nsource: model\n")
    text = (root / "environment.yml").read_text()
    edited, count = re.subn(r"(\n  syslog:[^\n]*\n(?:    [^\n]*\n)*?    ports: )\[514\]", rf"\1[{NEW_PORT}]", text)
    assert count == 1, "lab's services.syslog no longer reads `ports: [514]`"
    (root / "environment.yml").write_text(edited)
    return root


def _security_group_ports(env: Environment) -> set[tuple[str, str, int]]:
    """(direction, protocol, port) of every planned syslog security-group rule."""
    result = plan(env)
    assert not result.mandatory_violations, result.mandatory_violations
    return {(r.inputs["direction"], r.inputs["protocol"], int(r.inputs["portRangeMin"]))
            for r in result.resources if r.type == "openstack:networking/secGroupRule:SecGroupRule"
            and r.inputs.get("description", "").startswith("syslog")}


def _role_renders(env_dir: Path, collector: str, client: str, tmp_path: Path) -> dict[str, str]:
    """The real role templates, with the roles' defaults and the inventory's host variables."""
    tasks = []
    for label, (role, template) in TEMPLATES.items():
        host = collector if label.startswith("collector") else client
        tasks.append({"name": label, "ansible.builtin.copy": {
            "content": "{{ lookup('ansible.builtin.template', '%s') }}" % (paths.ROLES / role / "templates" / template),
            "dest": str(tmp_path / f"{label.replace(' ', '-')}.txt")},
            "delegate_to": "localhost", "when": f"inventory_hostname == '{host}'"})
    play = [{"hosts": f"{collector},{client}", "gather_facts": False, "connection": "local",
             # the roles' defaults and the pdc role's filters; their tasks are skipped by tag
             "roles": [{"role": r, "tags": ["never"]} for r in ("pdc", "firewall", "soc_collector", "logging")],
             "tasks": tasks}]
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    run = run_playbook("-i", str(env_dir / "hosts.pdc.yml"), str(playbook), "--skip-tags", "always",
                       "-e", "ansible_python_interpreter=" + shutil.which("python3"))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {label: (tmp_path / f"{label.replace(' ', '-')}.txt").read_text() for label in TEMPLATES}


def _engines(env: Environment, env_dir: Path, tmp_path: Path, monkeypatch) -> dict:
    collector = flows(env).servers("syslog")[0].host
    client = next(h for h in env.hosts if h.zone == "dmz")
    for key, value in {"USERNAME": "netadmin", "PASSWORD": "unit-test-password", "SECRET": "unit-test-enable",
                       "SNMP_AUTH": "unit-test-snmp-auth", "SNMP_PRIV": "unit-test-snmp-priv"}.items():
        monkeypatch.setenv(f"PDC_WAN_{key}", value)
    creds = credentials.load(env)
    return {
        "security groups": _security_group_ports(env),
        "roles": _role_renders(env_dir, collector.name, client.name, tmp_path),
        "wan": {s.id: render.render_site(env, s, creds) for s in env.sites},
        "audit": {(e.protocol, e.port) for e in expected.inbound(env, collector) if e.service == "syslog"},
    }


def test_one_port_edit_reaches_every_engine(tmp_path, monkeypatch):
    lab = load_environment("lab")
    old = lab.settings.services.syslog.ports[0]
    copy = _edited_copy(tmp_path)
    changed = load_environment(copy)
    for name in ("systems.yml", "sites.yml"):  # the one edit: nothing else of the copy differs
        assert (copy / name).read_bytes() == (paths.INVENTORIES / "lab" / name).read_bytes()
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = _engines(lab, paths.INVENTORIES / "lab", tmp_path / "before", monkeypatch)
    after = _engines(changed, copy, tmp_path / "after", monkeypatch)

    # security groups: the collector's ingress and every host's egress, both protocols
    assert {p for _, _, p in before["security groups"]} == {old}
    assert after["security groups"] == {(d, proto, NEW_PORT) for d, proto, _ in before["security groups"]}

    # nftables on the collector: both protocols on the new port, from the WAN management too
    nft = after["roles"]["collector nftables"]
    wan = str(changed.address_plan.wan_management)
    for proto in ("udp", "tcp"):
        rule = next(line for line in nft.splitlines() if f"{proto} dport {{ {NEW_PORT} }}" in line)
        assert wan in rule, rule
        assert f"{proto} dport {{ {old} }}" in before["roles"]["collector nftables"]
        assert f"dport {{ {old} }}" not in nft

    # rsyslog: the collector listens on UDP and TCP at the new port; a client forwards there
    for proto in ("udp", "tcp"):
        assert f'input(type="im{proto}" port="{NEW_PORT}"' in after["roles"]["collector rsyslog"]
        assert f'input(type="im{proto}" port="{old}"' in before["roles"]["collector rsyslog"]
    assert f'port="{NEW_PORT}" protocol="tcp"' in after["roles"]["client rsyslog"]
    assert f'port="{old}"' not in after["roles"]["client rsyslog"]

    # every WAN config sends syslog over UDP to the new port
    for site_id, config in after["wan"].items():
        assert f"transport udp port {NEW_PORT}" in config or f"port {NEW_PORT} transport udp" in config, site_id
        assert f"port {old}" not in config, site_id
        assert before["wan"][site_id] != config

    # the audit expects the collector to accept both protocols on the new port
    assert before["audit"] == {("udp", old), ("tcp", old)}
    assert after["audit"] == {("udp", NEW_PORT), ("tcp", NEW_PORT)}
