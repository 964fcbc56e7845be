"""The preflight login runs ssh as an argv list, after checking the inventory values it passes (issue 13, item 4).

The pdc role's login_check.yml runs for real against inventory hosts with hostile values: the
check refuses each, naming the variable; a valid host gets exactly the expected argv (its ssh to
a closed local port fails at once, and the failed result shows the argv ssh was given).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from ansible_support import run_playbook

PLAY = [{"name": "Login check only", "hosts": "all", "gather_facts": False,
         "tasks": [{"name": "The pdc role's login check",
                    "ansible.builtin.import_role": {"name": "pdc", "tasks_from": "login_check.yml"}}]}]
HOSTILE = {
    "ansible_host": ["10.20.8.10 -oProxyCommand=touch /tmp/pwned", "-oProxyCommand=id", "a\nb", "x;id", ""],
    "ansible_user": ["-oProxyCommand=id", "admin x", "root\n", "Admin", "a" * 33],
    "ansible_port": ["22 -oProxyCommand=id", "0", "65536", "-1", "twenty"],
}


def run_login_check(tmp_path, hosts: dict[str, dict]) -> str:
    base = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
            "ansible_user": "pdcadmin"}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump({"all": {"hosts": {
        name: {**base, **extra} for name, extra in hosts.items()}}}))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAY, sort_keys=False))
    run = run_playbook("-i", str(tmp_path / "inv.yml"), str(tmp_path / "play.yml"))
    assert run.returncode != 0  # every host fails: refused, or port 1 closed
    return run.stdout


def _failures(output: str) -> dict[str, dict]:
    out = {}
    for m in re.finditer(r"^(?:fatal|failed): \[(?P<host>[^\]\s]+)[^\]]*\].*? => (?P<json>\{.*\})$", output, re.M):
        out.setdefault(m["host"], json.loads(m["json"]))
    return out


def test_hostile_connection_values_are_refused_naming_the_variable(tmp_path):
    hosts = {f"h-{var.split('_')[1]}-{i}": {var: value} for var, values in HOSTILE.items()
             for i, value in enumerate(values)}
    failures = _failures(run_login_check(tmp_path, hosts))
    assert set(failures) == set(hosts)
    for name, extra in hosts.items():
        (var, value), = extra.items()
        msg = failures[name]["msg"]
        assert "cmd" not in failures[name]  # refused before ssh ran
        if var == "ansible_port" and "could not be converted to 'int'" in msg:
            continue  # Ansible itself refuses a port that is not an integer, before any task runs
        assert msg.startswith(f"{name}: {var} is {json.dumps(value)}, not "), msg
        assert "refusing to pass it to ssh" in msg


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_valid_values_reach_ssh_as_one_argv_each(tmp_path, host):
    failures = _failures(run_login_check(tmp_path, {"ok": {
        "ansible_host": host, "ansible_ssh_common_args": '-o "UserKnownHostsFile=/tmp/a b" -o IdentitiesOnly=yes'}}))
    argv = failures["ok"]["cmd"]
    assert argv[0] == "ssh"
    # the inventory's ssh args split as a shell would, then port, user, `--` and the host, each its own word
    assert argv[-11:] == ["-o", "UserKnownHostsFile=/tmp/a b", "-o", "IdentitiesOnly=yes",
                          "-p", "1", "-l", "pdcadmin", "--", host, 'echo "$SSH_CONNECTION"; id -Gn']
