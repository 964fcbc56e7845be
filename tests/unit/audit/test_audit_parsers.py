"""Parsers and plumbing of the suite, without a lab: nftables JSON, batched facts, host selection."""

from __future__ import annotations

import json
import subprocess
from ipaddress import ip_network
from pathlib import Path

import pytest

from pdc.audit import nft
from pdc.audit.facts import Facts, HostUnreachable, parse_sysctl
from pdc.audit.runner import MAX_WORKERS, NoHosts, pytest_command, select_hosts
from pdc.audit.suite import octal_at_most, settings
from pdc.environment import load_environment

RULESET = {"nftables": [
    {"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "inet", "name": "pdc"}},
    {"chain": {"family": "inet", "table": "pdc", "name": "input", "type": "filter", "hook": "input",
               "prio": 0, "policy": "drop"}},
    {"chain": {"family": "inet", "table": "pdc", "name": "forward", "type": "filter", "hook": "forward",
               "prio": 0, "policy": "drop"}},
    {"rule": {"family": "inet", "table": "pdc", "chain": "input", "expr": [
        {"match": {"op": "==", "left": {"meta": {"key": "iif"}}, "right": "lo"}}, {"accept": None}]}},
    {"rule": {"family": "inet", "table": "pdc", "chain": "input", "expr": [
        {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
        {"accept": None}]}},
    {"rule": {"family": "inet", "table": "pdc", "chain": "input", "expr": [
        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                   "right": {"set": [{"prefix": {"addr": "10.20.3.0", "len": 24}}, "10.99.0.1"]}}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}},
        {"accept": None}]}},
    {"rule": {"family": "inet", "table": "pdc", "chain": "input", "expr": [
        {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                   "right": {"set": [80, 443]}}}, {"accept": None}]}},
]}


def test_nft_ruleset_summary():
    (chain,) = nft.hooked(RULESET, "input")
    assert chain.policy == "drop" and len(chain.rules) == 4
    lo, established, ssh, web = chain.rules
    assert lo.iif == "lo" and lo.verdict == "accept"
    assert established.ct_states == {"established", "related"}
    assert ssh.dports == {22} and ssh.saddr == [ip_network("10.20.3.0/24"), ip_network("10.99.0.1/32")]
    assert web.dports == {80, 443} and web.saddr is None and web.protos == {"tcp"}
    assert "from any" in web.describe()
    assert [c.policy for c in nft.hooked(RULESET, "forward")] == ["drop"]


class LocalShell:
    """A stand-in for a testinfra host that runs harmless commands on this machine."""

    class Result:
        def __init__(self, proc):
            self.rc, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr

    def __init__(self):
        self.calls = 0

    def run(self, command, *args):
        self.calls += 1
        if args:
            command = command % tuple(__import__("shlex").quote(a) for a in args)
        return self.Result(subprocess.run(command, shell=True, capture_output=True, text=True))


def test_prefetch_splits_outputs_in_one_round_trip():
    host = LocalShell()
    facts = Facts(host)
    facts.prefetch(["printf 'a\\nb\\n'", "echo oops >&2; exit 3", "true", "printf 'no newline'"])
    assert host.calls == 1
    assert facts.run("printf 'a\\nb\\n'").stdout == "a\nb"
    oops = facts.run("echo oops >&2; exit 3")
    assert (oops.rc, oops.stdout, oops.stderr) == (3, "", "oops")
    assert facts.run("true").ok and facts.run("printf 'no newline'").stdout == "no newline"
    assert host.calls == 1  # all from the cache
    facts.run("echo later")
    assert host.calls == 2


def test_an_unreachable_host_fails_fast():
    class Down:
        calls = 0

        def run(self, command, *args):
            Down.calls += 1
            raise RuntimeError(type("R", (), {"stderr": "ssh: connect to host x port 22: No route to host"})())

    facts = Facts(Down())
    with pytest.raises(HostUnreachable, match="No route to host"):
        facts.prefetch(["true"])
    with pytest.raises(HostUnreachable):
        facts.run("echo again")
    assert Down.calls == 1


def test_config_text_helpers():
    assert parse_sysctl("kernel.sysrq = 0\nnet.ipv4.ip_forward = 1\n") == {"kernel.sysrq": "0",
                                                                             "net.ipv4.ip_forward": "1"}
    assert settings("# c\nPASS_MAX_DAYS\t99999\nUMASK 027 # x\n") == {"PASS_MAX_DAYS": "99999", "UMASK": "027"}
    assert settings("deny = 5\nunlock_time=900\n", "=") == {"deny": "5", "unlock_time": "900"}
    assert octal_at_most("600", "640") and octal_at_most("640", "640") and not octal_at_most("644", "640")


def _publish_hosts(state: Path, env_name: str, names) -> None:
    """What `pdc lab up` publishes: the hosts that are up (pdc.labcontract)."""
    folder = state / "lab" / env_name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.json").write_text(json.dumps({"hosts": {n: {"address": "192.0.2.1"} for n in names}}))


@pytest.fixture
def lab_state(monkeypatch, tmp_path):
    """A state directory of this test's own, independent of this machine's lab."""
    from pdc import paths

    monkeypatch.setattr(paths, "STATE", tmp_path)
    return tmp_path


@pytest.fixture
def lab(lab_state):
    env = load_environment("lab")
    _publish_hosts(lab_state, env.name, [h.name for h in env.hosts])
    return env


def test_with_the_lab_up_only_started_hosts_are_audited(lab, lab_state):
    containers = {h.name for h in lab.hosts if h.group.lab_kind == "container"}
    _publish_hosts(lab_state, lab.name, containers)  # `pdc lab up --no-vm`
    assert {h.name for h in select_hosts(lab, None)} == containers
    assert "qlvb-app-01" not in {h.name for h in select_hosts(lab, "level_2,level_3")}


def test_a_lab_source_whose_lab_is_down_is_an_error_not_the_model(lab, lab_state):
    (lab_state / "lab" / lab.name / "hosts.json").unlink()
    with pytest.raises(NoHosts, match=r"source: lab.*pdc lab up lab"):
        select_hosts(lab, None)


def test_a_model_source_never_reads_the_lab(lab_state):
    haiduong = load_environment("haiduong")
    _publish_hosts(lab_state, haiduong.name, [haiduong.hosts[0].name])  # a stray lab of the same name
    assert select_hosts(haiduong, None) == list(haiduong.hosts)
    assert "--ssh-config" not in pytest_command(haiduong, list(haiduong.hosts), lab_state)


def test_limit_selects_by_name_system_group_and_pattern(lab):
    names = lambda limit: [h.name for h in select_hosts(lab, limit)]  # noqa: E731
    assert names(None) == [h.name for h in lab.hosts]
    assert names("tthc-web-01") == ["tthc-web-01"]
    assert names("infra") == ["infra-bastion-01", "infra-svc-01"]
    assert names("tthc/db") == ["tthc-db-01"]
    assert names("zone_mgmt") == ["infra-bastion-01", "infra-svc-01"]
    assert names("level_2") == ["qlvb-app-01"]
    assert names("soc-*,postgresql") == ["soc-collector-01", "tthc-db-01"]
    with pytest.raises(NoHosts, match="matches no host"):
        select_hosts(lab, "nope")


def test_pytest_command(lab, tmp_path):
    hosts = select_hosts(lab, "tthc")
    cmd = pytest_command(lab, hosts, tmp_path)
    assert cmd[cmd.index("--hosts") + 1] == "ssh://tthc-web-01,ssh://tthc-app-01,ssh://tthc-db-01"
    assert cmd[cmd.index("-n") + 1] == str(min(3, MAX_WORKERS)) and "loadgroup" in cmd and "--sudo" in cmd
    assert Path(cmd[cmd.index("--pdc-env") + 1]) == lab.root
    one = pytest_command(lab, hosts[:1], tmp_path)
    assert "-n" not in one and "no:xdist" in one
