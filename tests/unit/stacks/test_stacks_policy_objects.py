"""The pack's resource policy on hand-made rules, as `pulumi preview` would hand them over
(camelCase props, numbers as floats)."""

from __future__ import annotations

import pytest
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions

from pdc.plan import policies

RULE = "openstack:networking/secGroupRule:SecGroupRule"


def violations(props: dict) -> list[str]:
    pack = policies()
    found: list[str] = []
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(RULE, props, "urn:x", "rule", opts, None, {})
    pack.no_admin_ports_from_anywhere.validate(args, lambda msg, urn=None: found.append(msg))
    return found


@pytest.mark.parametrize("props", [
    {"direction": "ingress", "protocol": "tcp", "portRangeMin": 22.0, "portRangeMax": 22.0,
     "remoteIpPrefix": "0.0.0.0/0"},
    {"direction": "ingress", "protocol": "tcp", "portRangeMin": 3389.0, "portRangeMax": 3389.0,
     "remoteIpPrefix": "::/0"},
    {"direction": "ingress", "protocol": "tcp", "portRangeMin": 5000.0, "portRangeMax": 6000.0},  # no remote
    {"direction": "ingress", "remoteIpPrefix": "0.0.0.0/0"},  # every protocol and port
])
def test_admin_or_database_port_from_anywhere_is_refused(props):
    assert violations(props)


@pytest.mark.parametrize("props", [
    {"direction": "ingress", "protocol": "tcp", "portRangeMin": 443.0, "portRangeMax": 443.0,
     "remoteIpPrefix": "0.0.0.0/0"},
    {"direction": "ingress", "protocol": "tcp", "portRangeMin": 22.0, "portRangeMax": 22.0,
     "remoteIpPrefix": "10.20.3.0/24"},
    {"direction": "ingress", "protocol": "tcp", "portRangeMin": 5432.0, "portRangeMax": 5432.0,
     "remoteGroupId": "sg-app"},
    {"direction": "egress", "protocol": "tcp", "portRangeMin": 22.0, "portRangeMax": 22.0,
     "remoteIpPrefix": "0.0.0.0/0"},
    {"direction": "ingress", "protocol": "icmp", "remoteIpPrefix": "0.0.0.0/0"},
])
def test_web_management_and_tier_rules_pass(props):
    assert violations(props) == []


def test_message_names_the_ports():
    [message] = violations({"direction": "ingress", "protocol": "tcp", "portRangeMin": 1.0,
                            "portRangeMax": 65535.0, "remoteIpPrefix": "0.0.0.0/0"})
    assert "22 (SSH)" in message and "3389 (RDP)" in message and "5432 (PostgreSQL)" in message


def test_policy_pack_starts_with_the_environment_config():
    """stacks/policy/__main__.py builds the PolicyPack (config checked against the schemas) and
    serves it: the analyzer prints its port, as `pulumi preview --policy-pack` expects."""
    import os
    import subprocess
    import sys

    from pdc.plan import POLICY_DIR

    proc = subprocess.Popen([sys.executable, "__main__.py"], cwd=POLICY_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PDC_ENV": "lab"})
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), proc.stderr.read() if proc.poll() is not None else port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
