"""The compliance suite's wiring: targets from --hosts or the environment, per-host items,
applicability (pdc.applicability: level, role, kernel, opt-ins and waivers, exception), facts and evidence.

Run it with ``pdc audit ENV`` or plainly::

    pytest tests/compliance --pdc-env lab --sudo \
        --hosts=ssh://tthc-web-01 --ssh-config=/var/lib/pdc/lab/lab/ssh_config -n 2

The audit plugin (pdc.audit.plugin) is registered here rather than through
``pytest_plugins``, which pytest refuses in a conftest below the rootdir when the whole
tests/ tree is collected.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
import testinfra

from pdc import paths
from pdc.applicability import NOT_APPLICABLE
from pdc.audit import plugin
from pdc.audit.catalog import catalog, verdict
from pdc.audit.facts import COMMON, Facts, HostUnreachable, file_command, stat_command, unit_command
from pdc.audit.suite import ITEMS_ATTR, Item, Target


def pytest_addoption(parser: pytest.Parser) -> None:
    plugin.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pdc-audit"):
        config.pluginmanager.register(plugin, "pdc-audit")


# ---------------------------------------------------------------- targets


def _environment(config):
    if not hasattr(config, "_pdc_environment"):
        name = config.getoption("--pdc-env")
        if name:
            from pdc.environment import load_environment

            config._pdc_environment = load_environment(name)
        else:
            config._pdc_environment = None
    return config._pdc_environment


def targets(config: pytest.Config) -> list[Target]:
    if hasattr(config, "_pdc_targets"):
        return config._pdc_targets
    env = _environment(config)
    option = config.option
    ssh_config = option.ssh_config
    if option.hosts:
        specs = [s for s in option.hosts.split(",") if s]
    elif env is not None:
        specs = [f"ssh://{h.name}" for h in env.hosts]
        lab_config = paths.STATE / "lab" / env.name / "ssh_config"
        if ssh_config is None and lab_config.exists():
            ssh_config = str(lab_config)
    else:
        raise pytest.UsageError("tests/compliance needs --hosts=... or --pdc-env ENV (or $PDC_ENV)")
    by_name = {h.name: h for h in env.hosts} if env else {}
    # one multiplexed SSH connection per host, shared by all xdist workers: without a
    # ControlPath every command would pay a full SSH handshake
    controlpath = f"/tmp/pdc-audit-{os.getuid()}-%%C"  # %% : testinfra %-formats the command
    out = []
    for spec in specs:
        host = testinfra.get_host(spec, ssh_config=ssh_config, ssh_identity_file=option.ssh_identity_file,
                                  sudo=option.sudo, sudo_user=option.sudo_user, controlpath=controlpath)
        name = plugin.host_name_of(host)
        out.append(Target(name, host, by_name.get(name), env, ssh_config))
    config._pdc_targets = out
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    items_of = getattr(metafunc.function, ITEMS_ATTR, None)
    wants_item = "item" in metafunc.fixturenames
    params = []
    for target in targets(metafunc.config):
        if target.model is None and target.env is not None:
            found = [Item("-", na=None)]  # setup reports the host as unknown to the environment
        elif items_of is None or not wants_item:
            found = [Item("-")]
        else:
            found = list(items_of(target)) or [Item("-", na="nothing of this kind on this host")]
        for it in found:
            params.append(pytest.param(target, it, id=f"{target.name}:{it.id}"))
    if wants_item:
        metafunc.parametrize(("target", "item"), params)
    else:
        metafunc.parametrize("target", [p.values[0] for p in params], ids=[p.id for p in params])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # one host's checks stay on one xdist worker, so each host's facts are gathered once
    if not config.pluginmanager.has_plugin("xdist"):
        return
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "target" in params:
            item.add_marker(pytest.mark.xdist_group(params["target"].name))


# ---------------------------------------------------------------- fixtures

_FACTS: dict[str, Facts] = {}

# What the checks will ask every host, fetched with COMMON in the same round trip. Only a speed
# hint: a command missing here costs one more round trip, never a wrong result.
HINTS = COMMON + [
    unit_command(u) for u in ("rsyslog.service", "nftables.service", "aidecheck.timer", "chrony.service",
                              "systemd-timesyncd.service", "auditd.service")
] + [
    file_command(f) for f in ("/etc/login.defs", "/etc/ssh/sshd_config", "/etc/security/faillock.conf",
                              "/etc/issue", "/etc/issue.net", "/etc/motd", "/etc/audit/auditd.conf",
                              "/etc/audit/rules.d/50-pdc.rules", "/etc/pam.d/common-password",
                              "/etc/pam.d/common-auth", "/etc/pam.d/su", "/etc/aide/aide.conf")
] + [
    stat_command(p) for p in ("/etc/crontab", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
                              "/etc/cron.monthly", "/etc/cron.d", "/etc/cron.allow", "/etc/at.allow",
                              "/etc/cron.deny", "/etc/at.deny", "/etc/passwd", "/etc/passwd-", "/etc/group",
                              "/etc/group-", "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
                              "/etc/issue", "/etc/issue.net", "/etc/motd", "/etc/ssh/ssh_host_rsa_key",
                              "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key",
                              "/var/lib/aide/aide.db")
] + [
    "useradd -D", "sudo -V", "systemd-analyze cat-config systemd/journald.conf",
    "systemd-analyze cat-config systemd/coredump.conf", "ls -1 /etc/ssh/sshd_config.d/",
    "stat -c '%n %a %U' /etc/ssh/sshd_config.d/*.conf 2>/dev/null", "ps -o user= -C chronyd",
    "cat /etc/security/limits.conf /etc/security/limits.d/*.conf 2>/dev/null",
    "apt-config dump APT::Periodic", "apt-config dump Unattended-Upgrade::Origins-Pattern", "rsyslogd -N1",
    "ss -H -tnp state established", "cat /proc/cmdline",
]


@pytest.fixture
def facts(target: Target) -> Facts:
    found = _FACTS.get(target.name)
    if found is None:
        found = _FACTS[target.name] = Facts(target.host)
        found.prefetch(HINTS)
    return found


@pytest.fixture
def host(target: Target):
    return target.host


@pytest.fixture
def evidence(request: pytest.FixtureRequest):
    """Record what was observed, so a passing item has evidence as well as a failing one."""
    def record(text: str) -> None:
        request.node.user_properties.append((plugin.EVIDENCE, str(text)))
    return record


@pytest.fixture(autouse=True)
def _applies(request: pytest.FixtureRequest) -> None:
    """Skip (not applicable, with the reason) what does not apply to this host."""
    control_id = plugin.control_of(request.node)
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    target = params.get("target")
    if control_id is None or target is None:
        return
    control = catalog().by_id.get(control_id)
    if control is None:
        pytest.fail(f"control {control_id} is not in controls/catalog.yml")
    if target.env is not None and target.model is None:
        pytest.fail(f"host {target.name} is not a host of environment {target.env.name}")
    # the roles' own answer (pdc.applicability); a waived control is still checked, and the
    # plugin reports its failure as waived
    decisions = plugin.decisions(request.config)
    found = verdict(control, target.model, decisions, None)
    if found.status == NOT_APPLICABLE:
        pytest.skip(found.reason)
    facts = request.getfixturevalue("facts")
    if facts.unreachable:
        raise HostUnreachable(facts.unreachable)
    if control.kernel:
        found = verdict(control, target.model, decisions, facts.virt_container())
        if found.status == NOT_APPLICABLE:
            pytest.skip(found.reason)
    item = params.get("item")
    if isinstance(item, Item) and item.na:
        pytest.skip(item.na)


def remote(target: Target, command: str) -> str:
    """An ssh command line to the target from this machine (live login probes)."""
    config = f"-F {shlex.quote(target.ssh_config)} " if target.ssh_config else ""
    return f"ssh {config}{command}"


def lab_ssh_config(env_name: str) -> Path:
    return paths.STATE / "lab" / env_name / "ssh_config"
