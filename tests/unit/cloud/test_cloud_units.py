"""The cloud side without a cloud: which cloud is chosen, what an unreadable clouds.yaml or a
hostile answer gives (one clear error, never a traceback), and the drift check on plan-shaped records."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdc import labcontract, paths
from pdc.cloud import compare, connect, live
from pdc.environment import load_environment
from pdc.plan import Plan
from pdc.pulumi_mocks import Captured
from pdc.tenant_labels import TENANT_TYPE

PDC = str(Path(sys.executable).parent / "pdc")


def _env_copy(tmp_path: Path, cloud_file: str | None) -> Path:
    root = tmp_path / "env"
    shutil.copytree(paths.INVENTORIES / "lab", root)
    (root / "cloud.pdc.yml").unlink(missing_ok=True)
    if cloud_file is not None:
        (root / "cloud.pdc.yml").write_text(cloud_file)
    return root


def _pdc(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    environ.update(env or {})
    return subprocess.run([PDC, *args], capture_output=True, text=True, timeout=120, env=environ,
                          cwd=cwd or paths.ROOT)


# ------------------------------------------------------------------ which cloud


def test_lab_source_without_a_lab_cloud_says_how_to_start_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE", tmp_path / "state")
    env = load_environment(_env_copy(tmp_path, "source: lab\n"))
    with pytest.raises(connect.CloudError, match=r"pdc lab up .* --cloud"):
        connect.resolve(env, None)


def test_lab_source_reads_the_published_clouds_yaml(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE", tmp_path / "state")
    env = load_environment(_env_copy(tmp_path, "source: lab\n"))
    published = labcontract.root(env.name) / labcontract.CLOUD_DIR / labcontract.CLOUDS_YAML
    published.parent.mkdir(parents=True)
    published.write_text("clouds: {}\n")
    assert connect.resolve(env, None) == ([str(published)], labcontract.LAB_AUDIT_CLOUD)
    assert connect.resolve(env, "deployer") == ([str(published)], "deployer")


def test_clouds_source_needs_a_cloud_name(tmp_path, monkeypatch):
    monkeypatch.delenv("OS_CLOUD", raising=False)
    env = load_environment(_env_copy(tmp_path, None))
    with pytest.raises(connect.CloudError, match="--cloud NAME"):
        connect.resolve(env, None)
    monkeypatch.setenv("OS_CLOUD", "prod")
    assert connect.resolve(env, None) == (None, "prod")
    assert connect.resolve(env, "other") == (None, "other")


def test_cloud_file_is_validated_with_the_environment(tmp_path):
    root = _env_copy(tmp_path, "source: openstack\nextra: 1\n")
    result = _pdc("validate", str(root))
    assert result.returncode == 1
    assert "cloud.pdc.yml" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["clouds: [1, 2\n", "- just a list\n", "clouds:\n  prod: 5\n",
                                     "\x00\x01binary"])
def test_a_broken_clouds_yaml_is_one_clear_error(tmp_path, content):
    root = _env_copy(tmp_path, None)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(content)
    result = _pdc("cloud", "audit", str(root), "--cloud", "prod", env={"OS_CLIENT_CONFIG_FILE": str(clouds)},
                  cwd=tmp_path)
    assert result.returncode == 1
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_a_clouds_yaml_that_is_not_a_file_is_refused(tmp_path):
    root = _env_copy(tmp_path, None)
    (tmp_path / "dir.yaml").mkdir()
    result = _pdc("cloud", "audit", str(root), "--cloud", "prod",
                  env={"OS_CLIENT_CONFIG_FILE": str(tmp_path / "dir.yaml")})
    assert result.returncode == 1 and "not a regular file" in result.stderr


def test_an_unreachable_cloud_is_one_clear_error(tmp_path, unreachable_clouds):
    clouds = unreachable_clouds
    root = _env_copy(tmp_path, None)
    for command in (["cloud", "audit", str(root), "--cloud", "prod"], ["plan", str(root), "--cloud", "prod"]):
        result = _pdc(*command, env={"OS_CLIENT_CONFIG_FILE": str(clouds)})
        assert result.returncode == 1, result.stderr
        assert "cannot authenticate" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------ hostile answers


class _Fake:
    """An openstacksdk connection whose every list answers the given records."""

    def __init__(self, **answers):
        self.answers = answers
        self.identity = self
        self.network = self

    def __getattr__(self, name):
        if name in ("projects", "roles", "groups", "users", "role_assignments", "networks", "subnets",
                    "security_groups", "security_group_rules", "routers", "ports", "ips"):
            return lambda **kw: iter(self.answers.get(name, []))
        if name == "get_quota":
            return lambda project, **kw: self.answers.get("quota", {})
        raise AttributeError(name)


@pytest.mark.parametrize("answers", [
    {"projects": [{"id": 5, "name": "tthc"}]},
    {"projects": [{"id": "p", "name": "tthc", "tags": "pdc-system=tthc"}]},
    {"projects": [{"id": "p", "name": "tthc"}], "networks": [{"id": "n", "name": ["x"], "project_id": "p"}]},
    {"projects": [{"id": "p", "name": "tthc"}], "quota": {"networks": "lots"}},
    {"projects": [{"id": "p", "name": "tthc"}], "routers": [{"id": "r", "project_id": "p",
                                                              "external_gateway_info": "yes"}]},
    {"projects": ["not a mapping"]},
])
def test_a_hostile_answer_is_refused_by_type(answers):
    with pytest.raises(live.BadAnswer):
        live.read(_Fake(**answers), {"tthc"})


def test_only_pdc_projects_are_read():
    fake = _Fake(projects=[{"id": "a", "name": "admin"}, {"id": "t", "name": "tthc"},
                           {"id": "s", "name": "x", "tags": ["pdc-system=shadow"]}],
                 networks=[{"id": "n1", "name": "other", "project_id": "a"},
                           {"id": "n2", "name": "tthc-app", "project_id": "t", "tags": []}],
                 security_groups=[{"id": "g", "name": "default", "project_id": "t"}],
                 security_group_rules=[{"id": "r", "security_group_id": "g", "direction": "ingress"}],
                 quota={"networks": 4})
    records = live.read(fake, {"tthc"})
    assert records.tenants == {"t": "tthc", "s": "shadow"}
    names = sorted((r.type.split(":")[-1], r.name) for r in records.resources if r.custom)
    assert ("Network", "tthc-app") in names and ("Network", "other") not in names
    assert not any(t == "SecGroup" or t == "SecGroupRule" for t, _ in names)  # Neutron's default group


# ------------------------------------------------------------------ drift


def _plan(items: list[tuple[str, str, str, dict]]) -> Plan:
    """Records (tenant, type suffix, id, inputs) under their tenant components."""
    out, tenants = [], {}
    for tenant, rtype, rid, inputs in items:
        if tenant not in tenants:
            tenants[tenant] = f"urn:{tenant}"
            out.append(Captured(f"urn:{tenant}", TENANT_TYPE, tenant, False, {}, tenant, None, None))
        out.append(Captured(f"urn:{rid}", live.P + rtype, inputs.get("name", rid), True, inputs, rid,
                            tenants[tenant], None))
    return Plan("t", out, {})


RULE = "networking/secGroupRule:SecGroupRule"
GROUP = "networking/secGroup:SecGroup"
QUOTA = "networking/quotaV2:QuotaV2"


def test_drift_names_tenant_resource_and_control():
    planned = _plan([
        ("tthc", GROUP, "id-SecGroup-web", {"name": "tthc-web"}),
        ("tthc", RULE, "id-r1", {"securityGroupId": "id-SecGroup-web", "direction": "ingress", "protocol": "tcp",
                                 "portRangeMin": 443.0, "portRangeMax": 443.0, "remoteIpPrefix": "0.0.0.0/0"}),
        ("tthc", QUOTA, "id-q", {"network": 4.0, "port": 13.0}),
    ])
    cloud = _plan([
        ("tthc", GROUP, "g-uuid", {"name": "tthc-web"}),
        ("tthc", RULE, "r-uuid", {"securityGroupId": "g-uuid", "direction": "ingress", "protocol": "tcp",
                                  "portRangeMin": 22, "portRangeMax": 22, "remoteIpPrefix": "0.0.0.0/0"}),
        ("tthc", QUOTA, "q-uuid", {"network": 2, "port": 13}),
    ])
    found = {(d.tenant, d.kind, d.type, d.resource, d.control, d.field) for d in compare.drift(planned, cloud, {})}
    assert found == {
        ("tthc", "missing", "SecGroupRule", "tthc-web: ingress IPv4 tcp 443 from 0.0.0.0/0", "PDC-CLD-001", None),
        ("tthc", "not in plan", "SecGroupRule", "tthc-web: ingress IPv4 tcp 22 from 0.0.0.0/0", "PDC-CLD-001", None),
        ("tthc", "changed", "QuotaV2", "network quota", "PDC-CLD-006", "network"),
    }


def test_same_resources_with_other_ids_are_no_drift():
    planned = _plan([("soc", "networking/network:Network", "id-Network-soc-app", {"name": "soc-app"}),
                     ("soc", "networking/subnet:Subnet", "id-Subnet-soc-app",
                      {"name": "soc-app", "networkId": "id-Network-soc-app", "cidr": "10.0.0.0/24"}),
                     ("soc", "networking/router:Router", "id-Router-soc-edge",
                      {"name": "soc-edge", "externalNetworkId": "id-network-lab-external"})])
    cloud = _plan([("soc", "networking/network:Network", "n-1", {"name": "soc-app", "adminStateUp": True}),
                   ("soc", "networking/subnet:Subnet", "s-1", {"name": "soc-app", "networkId": "n-1",
                                                               "cidr": "10.0.0.0/24", "enableDhcp": True}),
                   ("soc", "networking/router:Router", "r-1", {"name": "soc-edge", "externalNetworkId": "ext-1"})])
    assert compare.drift(planned, cloud, {"ext-1": "lab-external"}) == []
    changed = compare.drift(planned, cloud, {"ext-1": "somewhere-else"})
    assert [(d.resource, d.field, d.plan, d.cloud) for d in changed] == [
        ("soc-edge", "externalGateway", "lab-external", "somewhere-else")]


def test_audit_cloud_needs_tenants_and_a_readable_cloud(tmp_path, unreachable_clouds):
    root = _env_copy(tmp_path, None)
    result = _pdc("audit", str(root), "--no-hosts", "--wan", "--cloud", "prod")
    assert result.returncode == 2 and "--cloud judges the tenants live: give it with --tenants" in result.stderr
    clouds = unreachable_clouds
    result = _pdc("audit", str(root), "--no-hosts", "--tenants", "--cloud", "prod", "--report-dir",
                  str(tmp_path / "r"), env={"OS_CLIENT_CONFIG_FILE": str(clouds)})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "--tenants --cloud: cloud 'prod': cannot authenticate" in " ".join(result.stderr.split())
