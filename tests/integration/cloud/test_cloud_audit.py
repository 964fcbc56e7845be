"""The live tenant audit against real Keystone and Neutron (the lab cloud), provisioned from the lab plan.

Each injected change is what someone could do by hand in Horizon; the audit must name the tenant,
the resource and the control, and exit 2 on drift alone, 1 when a required control fails.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.cloud.conftest import cloud_audit, drift_of, failing, pdc

pytestmark = pytest.mark.lab


def test_provisioned_plan_is_clean(lab_cloud, lab_env, tmp_path):
    code, data, out = cloud_audit(lab_env.name, tmp_path)
    assert code == 0, out
    assert data["drift"] == [] and failing(data) == []
    assert data["tenants"] == sorted(s.id for s in lab_env.systems)
    assert data["resources"]["cloud"] == data["resources"]["planned"]
    assert {p["control"] for p in data["posture"]} >= {"PDC-CLD-001", "PDC-CLD-002", "PDC-CLD-006"}


def test_up_again_is_warm_and_changes_nothing(lab_cloud, lab_env, tmp_path):
    start = time.monotonic()
    result = pdc("lab", "up", lab_env.name, "--cloud-only")
    assert result.returncode == 0, result.stderr
    assert "already up" in result.stdout
    assert time.monotonic() - start < 30
    code, _, out = cloud_audit(lab_env.name, tmp_path)
    assert code == 0, out


def _ssh_from_anywhere(net):
    """The change made by hand in Horizon: SSH from 0.0.0.0/0 on tthc's DMZ group."""
    group = net.find_security_group("tthc-dmz")
    return net.create_security_group_rule(security_group_id=group.id, direction="ingress", protocol="tcp",
                                           port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0",
                                           ether_type="IPv4", project_id=group.project_id)


def test_ssh_from_anywhere_is_drift_and_fails_cld_001(lab_cloud, lab_env, tmp_path):
    net = lab_cloud.network
    rule = _ssh_from_anywhere(net)
    try:
        code, data, out = cloud_audit(lab_env.name, tmp_path)
    finally:
        net.delete_security_group_rule(rule)
    assert code == 1, out
    [item] = drift_of(data, tenant="tthc", kind="not in plan", type="SecGroupRule")
    assert item["resource"] == "tthc-dmz: ingress IPv4 tcp 22 from 0.0.0.0/0"
    assert item["control"] == "PDC-CLD-001"
    [fail] = failing(data)
    assert (fail["tenant"], fail["control"]) == ("tthc", "PDC-CLD-001")
    assert "tthc-dmz" in fail["findings"][0] and "0.0.0.0/0" in fail["findings"][0]
    assert "PDC-CLD-001" in out and "tthc" in out


def test_removed_rule_is_missing(lab_cloud, lab_env, tmp_path):
    net = lab_cloud.network
    group = net.find_security_group("tthc-app")
    rule = next(r for r in net.security_group_rules(security_group_id=group.id)
                if r.direction == "ingress" and r.remote_group_id)
    keep = {k: getattr(rule, k) for k in ("direction", "protocol", "port_range_min", "port_range_max",
                                          "remote_group_id", "ether_type", "description", "project_id")}
    net.delete_security_group_rule(rule)
    try:
        code, data, out = cloud_audit(lab_env.name, tmp_path)
    finally:
        net.create_security_group_rule(security_group_id=group.id, **keep)
    assert code == 2, out
    [item] = drift_of(data, kind="missing")
    source = net.get_security_group(keep["remote_group_id"]).name
    assert (item["tenant"], item["type"], item["control"]) == ("tthc", "SecGroupRule", "PDC-CLD-001")
    assert item["resource"].startswith("tthc-app: ingress IPv4 tcp ")
    assert item["resource"].endswith(f"from group {source}")


def test_quota_lowered_below_the_plan(lab_cloud, lab_env, tmp_path):
    net = lab_cloud.network
    project = lab_cloud.identity.find_project("qlvb")
    before = net.get_quota(project.id).security_groups
    net.update_quota(project.id, security_groups=before - 5)
    try:
        code, data, out = cloud_audit(lab_env.name, tmp_path)
    finally:
        net.update_quota(project.id, security_groups=before)
    assert code == 2, out
    [item] = data["drift"]
    assert (item["tenant"], item["kind"], item["type"], item["field"]) == ("qlvb", "changed", "QuotaV2",
                                                                           "securityGroup")
    assert (item["plan"], item["cloud"], item["control"]) == (before, before - 5, "PDC-CLD-006")


def test_plan_flags_a_lowered_quota(lab_cloud, lab_env, tmp_path):
    """The plan needs ports for DHCP too, which the lab never creates (no agent): a quota lowered to just
    above the ports in use still passes Neutron's own check, and the plan no longer fits."""
    net = lab_cloud.network
    project = lab_cloud.identity.find_project("tthc")
    details = net.get_quota(project.id, details=True)
    before, used = details.ports["limit"], details.ports["used"]
    net.update_quota(project.id, ports=used + 1)
    try:
        result = pdc("plan", lab_env.name, "--cloud")
        clean = pdc("plan", lab_env.name, "--cloud", "--json", str(tmp_path / "p.json"))
    finally:
        net.update_quota(project.id, ports=before)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "tthc: the plan needs" in result.stderr and f"port but the cloud's quota is {used + 1}" in result.stderr
    assert clean.returncode == 1
    after = pdc("plan", lab_env.name, "--cloud")
    assert after.returncode == 0, after.stderr
    assert "cloud quotas: the plan fits" in after.stdout


def test_deleted_network_is_missing(lab_cloud, lab_env, tmp_path):
    from pdc.lab.cloud.provision import provision_lab

    net = lab_cloud.network
    network = net.find_network("qlvb-app") or next(n for n in net.networks() if n.name.startswith("qlvb-"))
    for port in list(net.ports(network_id=network.id)):
        if port.device_owner.startswith("network:router_interface"):
            net.remove_interface_from_router(port.device_id, port=port.id)
        elif not port.device_owner.startswith("network:"):
            net.delete_port(port)
    net.delete_network(network)
    try:
        code, data, out = cloud_audit(lab_env.name, tmp_path)
    finally:
        provision_lab(lab_env)  # the stand-in for pulumi up puts back what is missing
    assert code == 2, out
    [item] = drift_of(data, type="Network")
    assert (item["tenant"], item["kind"], item["resource"], item["control"]) == ("qlvb", "missing", network.name,
                                                                                 "PDC-CLD-003")
    assert drift_of(data, type="Subnet", kind="missing")
    assert cloud_audit(lab_env.name, tmp_path)[0] == 0


def test_project_outside_the_plan(lab_cloud, lab_env, tmp_path):
    ident = lab_cloud.identity
    project = ident.create_project(name="shadow-it", domain_id="default", tags=["pdc-system=shadow-it",
                                                                                "pdc-level=2"])
    try:
        code, data, out = cloud_audit(lab_env.name, tmp_path)
    finally:
        ident.delete_project(project)
    assert code == 2, out
    [item] = drift_of(data, type="Project")
    assert (item["tenant"], item["kind"], item["resource"]) == ("shadow-it", "not in plan", "shadow-it")
    assert data["unplanned_tenants"] == ["shadow-it"]
    assert "shadow-it" in out


def test_floating_ip_in_the_db_zone(lab_cloud, lab_env, tmp_path):
    """Neutron refuses a floating IP on a network no gateway reaches: the db router gets one first
    (as someone would in Horizon), which is drift and a PDC-CLD-002 failure of its own."""
    net = lab_cloud.network
    router = net.find_router("tthc-db")
    port = net.find_port("tthc-db-01")
    external = net.find_network(lab_env.settings.openstack.external_network)
    net.update_router(router, external_gateway_info={"network_id": external.id})
    fip = None
    try:
        fip = net.create_ip(floating_network_id=external.id, project_id=port.project_id, port_id=port.id)
        code, data, out = cloud_audit(lab_env.name, tmp_path)
    finally:
        if fip is not None:
            net.delete_ip(fip)
        net.update_router(router, external_gateway_info={})
    assert code == 1, out
    [item] = drift_of(data, type="FloatingIp")
    assert (item["tenant"], item["kind"], item["resource"], item["control"]) == (
        "tthc", "not in plan", "on port tthc-db-01", "PDC-CLD-002")
    [gateway] = drift_of(data, type="Router")
    assert (gateway["resource"], gateway["field"], gateway["cloud"]) == ("tthc-db", "externalGateway",
                                                                         external.name)
    [fail] = failing(data)
    assert (fail["tenant"], fail["control"]) == ("tthc", "PDC-CLD-002")
    assert any("floating IP" in f and "db-zone port" in f for f in fail["findings"])


def test_the_audit_changes_nothing(lab_cloud, lab_env, tmp_path):
    from pdc import labcontract

    data_dir = labcontract.root(lab_env.name) / labcontract.CLOUD_DIR / "data"
    before = (data_dir / "neutron.sqlite").stat().st_mtime_ns
    code, _, out = cloud_audit(lab_env.name, tmp_path)
    assert code == 0, out
    assert (data_dir / "neutron.sqlite").stat().st_mtime_ns == before


def test_audit_report_tenant_section_from_the_live_cloud(lab_cloud, lab_env, tmp_path):
    """`pdc audit lab --no-hosts --tenants --cloud`: the report's tenants judged live, clean, then a
    hand-added SSH rule fails PDC-CLD-001 for tthc in the report, with its drift as evidence."""
    import json

    def report(folder):
        result = pdc("audit", lab_env.name, "--no-hosts", "--tenants", "--cloud", "--report-dir", str(folder))
        assert "Traceback" not in result.stderr, result.stderr
        data = json.loads((folder / "audit.json").read_text())
        return result, {(r["control"], r["host"]): r for r in data["results"]}

    clean, rows = report(tmp_path / "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert {h for _, h in rows} == {f"{s.id}/tenant" for s in lab_env.systems}
    assert all(r["status"] == "pass" for r in rows.values())
    live = [i for r in rows.values() for i in r["items"]]
    assert {i["item"] for i in live if i["control"] in ("PDC-CLD-001", "PDC-CLD-002", "PDC-CLD-006")} == {"cloud"}

    net = lab_cloud.network
    rule = _ssh_from_anywhere(net)
    try:
        failed, rows = report(tmp_path / "ssh")
    finally:
        net.delete_security_group_rule(rule)
    assert failed.returncode == 1
    row = rows[("PDC-CLD-001", "tthc/tenant")]
    assert row["status"] == "fail"
    [item] = row["items"]
    assert item["item"] == "cloud" and any("0.0.0.0/0" in e and "tthc-dmz" in e for e in item["evidence"])
    assert any(e.startswith("drift on cloud admin: not in plan SecGroupRule tthc-dmz: ingress IPv4 tcp 22")
               for e in item["evidence"])
    assert [k for k, r in rows.items() if r["status"] != "pass"] == [("PDC-CLD-001", "tthc/tenant")]
