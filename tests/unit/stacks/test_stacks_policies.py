"""Each policy of the pack, proven by an environment that violates it: the plan fails and
names that policy and the offending resource. The edits are to copies of inventories/lab."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from stacks_support import group, lab_copy, planned, system

from pdc.cli import main
from pdc.environment import load_environment
from pdc.plan import check_policies, plan

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def open_management(env, systems):
    env["shared_services"]["management"] = ["0.0.0.0/0"]  # "admins come from anywhere"


def flat_level2_with_dmz_and_db(env, systems):
    tthc = system(systems, "tthc")
    tthc["level"] = 2  # so only the db rule is broken, not level-3 separation
    tthc["network_layout"] = "shared"


def flat_level3(env, systems):
    tthc = system(systems, "tthc")
    tthc["zones"] = ["app", "db"]  # no DMZ: no gateway, so only the separation rule is broken
    tthc["vm_groups"] = [g for g in tthc["vm_groups"] if g["zone"] != "dmz"]
    tthc["network_layout"] = "shared"


def cheap_volumes_at_level3(env, systems):
    group(systems, "tthc", "db")["volume_type"] = "standard"


def level4_single_instances(env, systems):
    system(systems, "tthc")["level"] = 4  # every tthc group has one instance


def too_few_floating_ips(env, systems):
    env["quota_classes"]["standard"]["floating_ips"] = 0  # tthc has a DMZ host


CASES = [
    (open_management, "no-admin-ports-from-anywhere", "tthc-base-ingress-tcp-22-0.0.0.0_0"),
    (flat_level2_with_dmz_and_db, "db-zone-not-exposed", "tthc-edge-db"),
    (flat_level3, "level3-separate-zone-networks", "tthc-net"),
    (cheap_volumes_at_level3, "level3-encrypted-volumes", "tthc-db-01-boot"),
    (level4_single_instances, "level4-anti-affinity", "tthc-"),
    (too_few_floating_ips, "quotas-cover-plan", "tthc-network"),
]


_plans: dict = {}


@pytest.fixture
def planned_violation(tmp_path_factory):
    """The plan of lab edited by `edit`, made once per test session (each takes about a second)."""
    def make(edit):
        if edit.__name__ not in _plans:
            root = lab_copy(tmp_path_factory.mktemp(edit.__name__), edit)
            _plans[edit.__name__] = (root, plan(load_environment(root)))
        return _plans[edit.__name__]
    return make


@pytest.mark.parametrize(("edit", "policy", "resource"), CASES, ids=[c[1] for c in CASES])
def test_violating_environment_fails_naming_the_policy(planned_violation, edit, policy, resource):
    _, result = planned_violation(edit)
    assert {v.policy for v in result.violations} == {policy}, [str(v) for v in result.violations]
    assert any(v.resource.startswith(resource) for v in result.violations), [str(v) for v in result.violations]
    assert all(v.mandatory for v in result.violations)


@pytest.mark.parametrize(("edit", "policy", "resource"), CASES, ids=[c[1] for c in CASES])
def test_policies_judge_the_same_in_a_preview_where_ids_are_unknown(planned_violation, edit, policy, resource):
    """As in `pulumi preview`: ids of resources to be created are unknown; every policy still runs
    (none trips over an unknown) and finds the same violation."""
    root, result = planned_violation(edit)
    preview = check_policies(load_environment(root), result, preview=True)
    assert [(v.policy, v.resource, v.mandatory) for v in preview] == \
        [(v.policy, v.resource, True) for v in result.violations]


def test_real_environments_pass_in_a_preview_too():
    for name in ("lab", "haiduong"):
        env, result = planned(name)
        assert check_policies(env, result, preview=True) == []


def test_cli_exits_1_naming_policy_and_resource(planned_violation):
    root, _ = planned_violation(cheap_volumes_at_level3)
    cli = CliRunner().invoke(main, ["plan", str(root)])
    assert cli.exit_code == 1
    assert "[level3-encrypted-volumes] tthc-db-01-boot: volume tthc-db-01-boot of level-3 system tthc uses " \
           "volume type standard" in cli.stderr
    assert "2 mandatory policy violation(s)" in cli.stderr  # the boot and the data volume


def test_quota_violation_names_the_field_and_numbers(planned_violation):
    _, result = planned_violation(too_few_floating_ips)
    assert [v.message for v in result.violations] == [
        "quota floatingip=0 is below the 1 planned for tthc"]


def test_level4_violation_names_every_tier(planned_violation):
    _, result = planned_violation(level4_single_instances)
    tiers = sorted(v.message.split()[2] for v in result.violations)
    assert tiers == ["tthc/app", "tthc/db", "tthc/web"]


def test_cli_json_lists_resources_with_type_name_and_inputs(tmp_path):
    out = tmp_path / "plan.json"
    cli = CliRunner().invoke(main, ["plan", "lab", "--json", str(out)])
    assert cli.exit_code == 0, cli.output
    doc = json.loads(out.read_text())
    assert doc["violations"] == []
    by_name = {(r["type"], r["name"]): r for r in doc["resources"]}
    port = by_name[("openstack:networking/port:Port", "tthc-db-01")]
    assert port["inputs"]["fixedIps"] == [{"ipAddress": "10.20.10.10", "subnetId": "id-Subnet-tthc-db"}]
    quota = by_name[("openstack:compute/quotaSetV2:QuotaSetV2", "tthc-compute")]["inputs"]
    assert isinstance(quota["instances"], int)  # floats from the mocks are shown as integers
    assert set(doc["outputs"]["hosts"]) == {h.name for h in load_environment("lab").hosts}

    # to stdout: the JSON alone (the summary goes to stderr)
    stdout = CliRunner().invoke(main, ["plan", str(lab_copy(tmp_path, too_few_floating_ips)), "--json"])
    assert stdout.exit_code == 1
    assert json.loads(stdout.stdout)["violations"][0]["policy"] == "quotas-cover-plan"


def test_environment_without_openstack_settings_is_refused(tmp_path):
    root = lab_copy(tmp_path, lambda env, systems: env.pop("openstack"))
    cli = CliRunner().invoke(main, ["plan", str(root)])
    assert cli.exit_code == 1
    assert "no 'openstack:' section" in cli.stderr


def test_invalid_environment_is_refused_before_planning(tmp_path):
    root = lab_copy(tmp_path, lambda env, systems: group(systems, "tthc", "db").update(volume_type="gold"))
    cli = CliRunner().invoke(main, ["plan", str(root)])
    assert cli.exit_code == 1
    assert "unknown volume type 'gold'" in cli.stderr
