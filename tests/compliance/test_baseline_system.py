"""Packages, cron, file permissions, shell defaults, login.defs, PAM, sudo, updates, AIDE (baseline role)."""

from __future__ import annotations

import re

import pytest

from pdc.audit.facts import DEBSUMS, LOGIN_SHELL, PWQUALITY
from pdc.audit.policy import norm, per_control, setting
from pdc.audit.suite import Item, active_lines, check_unit_state, items, octal_at_most, settings

# ------------------------------------------------------------------ packages (CIS 2.1.x / 2.2.x)



def package_items(control: str):
    """The packages the baseline role removes for this control (roles/baseline/defaults)."""
    return lambda t: [Item(p) for p in per_control("baseline", "baseline_packages_absent", control)]


def _absent(facts, evidence, package):
    installed = facts.packages()
    evidence(f"dpkg: {package} {'installed ' + installed[package] if package in installed else 'not installed'}")
    assert package not in installed, f"{package} {installed.get(package)} is installed"


@pytest.mark.control("PDC-PKG-001")
@items(package_items("PDC-PKG-001"))
def test_server_packages_absent(target, item, facts, evidence):
    _absent(facts, evidence, item.id)


@pytest.mark.control("PDC-PKG-002")
@items(package_items("PDC-PKG-002"))
def test_client_packages_absent(target, item, facts, evidence):
    _absent(facts, evidence, item.id)


@pytest.mark.control("PDC-PKG-003")
@items(package_items("PDC-PKG-003"))
def test_build_tools_absent(target, item, facts, evidence):
    _absent(facts, evidence, item.id)


# ------------------------------------------------------------------ file modes


def _mode(facts, evidence, path, limit, owner="root", group="root"):
    st = facts.stat(path)
    assert st is not None, f"{path} does not exist"
    evidence(f"{path}: {st['mode']} {st['owner']}:{st['group']}")
    assert st["owner"] == owner, f"{path} is owned by {st['owner']}, expected {owner}"
    assert st["group"] == group, f"{path} has group {st['group']}, expected {group}"
    assert octal_at_most(st["mode"], limit), f"{path} has mode {st['mode']}, expected at most {limit}"


CRON_PATHS = {"/etc/crontab": "600", "/etc/cron.hourly": "700", "/etc/cron.daily": "700",
              "/etc/cron.weekly": "700", "/etc/cron.monthly": "700", "/etc/cron.d": "700"}


@pytest.mark.control("PDC-CRN-001")
@items(lambda t: [Item(p, m) for p, m in CRON_PATHS.items()] + [Item("cron enabled"), Item("cron active")])
def test_cron_permissions(target, item, facts, evidence):
    if item.id.startswith("cron "):
        check_unit_state(facts, evidence, "cron", item.id.endswith("enabled"))
        return
    _mode(facts, evidence, item.id, item.value)


@pytest.mark.control("PDC-CRN-002")
@items(lambda t: [Item("/etc/cron.allow", True), Item("/etc/at.allow", True),
                  Item("/etc/cron.deny", False), Item("/etc/at.deny", False)])
def test_cron_at_allow(target, item, facts, evidence):
    if item.value:
        _mode(facts, evidence, item.id, "640")
    else:
        st = facts.stat(item.id)
        evidence(f"{item.id}: {'absent' if st is None else 'present'}")
        assert st is None, f"{item.id} exists (allow-lists must be used, not deny-lists)"


ACCOUNT_FILES = {
    "/etc/passwd": ("644", "root"), "/etc/passwd-": ("644", "root"),
    "/etc/group": ("644", "root"), "/etc/group-": ("644", "root"),
    "/etc/shadow": ("640", "shadow"), "/etc/shadow-": ("640", "shadow"),
    "/etc/gshadow": ("640", "shadow"), "/etc/gshadow-": ("640", "shadow"),
    # created by pam_pwhistory at the first password change: checked when present
    "/etc/security/opasswd": ("600", "root"), "/etc/security/opasswd.old": ("600", "root"),
}


@pytest.mark.control("PDC-FIL-001")
@items(lambda t: [Item(p, v) for p, v in ACCOUNT_FILES.items()])
def test_account_database_permissions(target, item, facts, evidence):
    limit, group = item.value
    if "opasswd" in item.id and facts.stat(item.id) is None:
        evidence(f"{item.id}: absent (no password changed yet)")
        return
    _mode(facts, evidence, item.id, limit, group=group)


@pytest.mark.control("PDC-FIL-002")
@items(lambda t: [Item(p) for p in ("/etc/issue", "/etc/issue.net", "/etc/motd")])
def test_legal_banner(target, item, facts, evidence):
    text = facts.file(item.id)
    assert text.ok, f"{item.id} cannot be read: {text.stderr.strip()}"
    first = next((line for line in text.stdout.splitlines() if line.strip()), "(empty)")
    evidence(f"{item.id}: {first[:160]}")
    assert not re.search(r"\\[mrsv]", text.stdout), f"{item.id} reveals the OS through \\m \\r \\s \\v escapes"
    assert "debian" not in text.stdout.lower(), f"{item.id} names the OS"
    assert re.search(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]",
                     text.stdout.lower()), f"{item.id} has no Vietnamese warning text"
    assert re.search(r"authori[sz]ed|unauthori[sz]ed|monitored", text.stdout, re.I), (
        f"{item.id} has no English warning text")
    banner = setting("baseline", "baseline_banner").strip().splitlines()[0]
    assert banner in text.stdout, f"{item.id} does not carry the environment's banner ({banner[:40]}...)"
    _mode(facts, evidence, item.id, "644")


# ------------------------------------------------------------------ shell defaults (live login shell)



@pytest.mark.control("PDC-SHL-001")
@items(lambda t: [Item("hard core limit 0"), Item("systemd-coredump Storage=none")])
def test_core_dumps_disabled(target, item, facts, evidence):
    if item.id.startswith("hard"):
        text = facts.run("cat /etc/security/limits.conf /etc/security/limits.d/*.conf 2>/dev/null").stdout
        hits = [line for line in active_lines(text) if re.match(r"\*\s+hard\s+core\s+0$", line)]
        evidence("\n".join(hits) or "no '* hard core 0' line")
        assert hits, "core dumps are not limited to 0 for all users"
    else:
        text = facts.run("systemd-analyze cat-config systemd/coredump.conf").stdout
        storage = settings(text, "=").get("Storage")
        evidence(f"effective coredump.conf Storage={storage}")
        assert storage == "none", f"systemd-coredump Storage={storage}, expected none"


@pytest.mark.control("PDC-SHL-002")
@items(lambda t: [Item("login shell umask"), Item("login.defs UMASK")])
def test_umask(target, item, facts, evidence):
    if item.id == "login shell umask":
        out = facts.run(LOGIN_SHELL)
        umask = out.stdout.splitlines()[0] if out.stdout else ""
        evidence(f"umask in a root login shell: {umask}")
        want = norm("PDC-SHL-002", "umask")
        assert umask.lstrip("0") == want.lstrip("0"), f"login shells get umask {umask}, expected {want}"
    else:
        value = settings(facts.file("/etc/login.defs").stdout).get("UMASK")
        evidence(f"login.defs UMASK {value}")
        want = norm("PDC-SHL-002", "umask")
        assert value == want, f"login.defs UMASK is {value}, expected {want}"


@pytest.mark.control("PDC-SHL-003")
def test_shell_timeout(target, facts, evidence):
    lines = facts.run(LOGIN_SHELL).stdout.splitlines()
    tmout = next((line.split("=", 1)[1] for line in lines if line.startswith("TMOUT=")), "")
    readonly = lines[-1].strip() if lines else "0"
    evidence(f"TMOUT={tmout!r} in a login shell, readonly: {readonly != '0'}")
    limit = norm("PDC-SHL-003", "shell_timeout")
    assert tmout and int(tmout) <= limit, f"TMOUT is {tmout or 'unset'}, expected at most {limit}"
    assert readonly != "0", "TMOUT is not readonly (a user can unset it)"


# ------------------------------------------------------------------ login.defs


def _login_defs(facts):
    return settings(facts.file("/etc/login.defs").stdout)


@pytest.mark.control("PDC-LGN-001")
@items(lambda t: [Item("PASS_MAX_DAYS", ("<=", norm("PDC-LGN-001", "pass_max_days"))),
                  Item("PASS_MIN_DAYS", (">=", norm("PDC-LGN-001", "pass_min_days"))),
                  Item("PASS_WARN_AGE", (">=", norm("PDC-LGN-001", "pass_warn_age")))])
def test_password_ageing(target, item, facts, evidence):
    value = _login_defs(facts).get(item.id)
    evidence(f"login.defs {item.id} {value}")
    op, limit = item.value
    assert value is not None and value.isdigit(), f"login.defs has no {item.id}"
    ok = int(value) <= limit if op == "<=" else int(value) >= limit
    assert ok, f"{item.id} is {value}, expected {op} {limit}"


@pytest.mark.control("PDC-LGN-002")
@items(lambda t: [Item("ENCRYPT_METHOD", "YESCRYPT"),
                  Item("SHA_CRYPT_MIN_ROUNDS", str(norm("PDC-LGN-002", "sha_crypt_rounds"))),
                  Item("SHA_CRYPT_MAX_ROUNDS", str(norm("PDC-LGN-002", "sha_crypt_rounds")))])
def test_password_hashing(target, item, facts, evidence):
    value = _login_defs(facts).get(item.id)
    evidence(f"login.defs {item.id} {value}")
    assert value == item.value, f"{item.id} is {value}, expected {item.value}"


@pytest.mark.control("PDC-LGN-003")
def test_inactive_lock(target, facts, evidence):
    value = settings(facts.run("useradd -D").stdout, "=").get("INACTIVE")
    evidence(f"useradd -D INACTIVE={value}")
    limit = norm("PDC-LGN-003", "inactive_days")
    assert value is not None and value.lstrip("-").isdigit() and 0 <= int(value) <= limit, (
        f"new accounts get INACTIVE={value}, expected {limit} or less")


# ------------------------------------------------------------------ PAM



def _pam_line(facts, file, module):
    text = facts.file(f"/etc/pam.d/{file}").stdout
    return [line for line in active_lines(text) if module in line]


@pytest.mark.control("PDC-PAM-001")
@items(lambda t: [Item(k, int(v) if str(v).isdigit() else None)
                  for k, v in norm("PDC-PAM-001", "pwquality").items()]
       + [Item("pam_pwquality in common-password")])
def test_password_quality(target, item, facts, evidence):
    if item.id.startswith("pam_"):
        lines = _pam_line(facts, "common-password", "pam_pwquality.so")
        evidence("\n".join(lines) or "common-password has no pam_pwquality line")
        assert lines, "pam_pwquality is not used by common-password"
        return
    conf = facts.run(PWQUALITY).stdout
    values = settings(conf, "=")
    flags = {line.strip() for line in active_lines(conf) if "=" not in line}
    if item.value is None:
        evidence(f"pwquality {item.id}: {'set' if item.id in flags else 'not set'}")
        assert item.id in flags, f"pwquality {item.id} is not set"
        return
    value = values.get(item.id)
    evidence(f"pwquality {item.id} = {value}")
    assert value is not None and value.lstrip("-").isdigit(), f"pwquality {item.id} is not set"
    if item.id in ("maxrepeat", "maxsequence"):  # limits: lower is stricter, 0 turns the check off
        assert 0 < int(value) <= item.value, f"pwquality {item.id} = {value}, expected 1..{item.value}"
    else:
        assert int(value) >= item.value, f"pwquality {item.id} = {value}, expected >= {item.value}"


@pytest.mark.control("PDC-PAM-002")
@items(lambda t: [Item("deny", (1, norm("PDC-PAM-002", "faillock_deny"))),
                  Item("unlock_time", (norm("PDC-PAM-002", "faillock_unlock_time"), None)),
                  Item("pam_faillock in common-auth")])
def test_faillock(target, item, facts, evidence):
    if item.id.startswith("pam_"):
        lines = _pam_line(facts, "common-auth", "pam_faillock.so")
        evidence("\n".join(lines) or "common-auth has no pam_faillock line")
        assert any("preauth" in line for line in lines) and any("authfail" in line for line in lines), (
            "pam_faillock is not in common-auth (preauth and authfail)")
        return
    value = settings(facts.file("/etc/security/faillock.conf").stdout, "=").get(item.id)
    evidence(f"faillock.conf {item.id} = {value}")
    low, high = item.value
    assert value is not None and value.isdigit(), f"faillock.conf has no {item.id}"
    assert int(value) >= low and (high is None or int(value) <= high), f"faillock {item.id} = {value}"


@pytest.mark.control("PDC-PAM-003")
def test_password_history(target, facts, evidence):
    lines = _pam_line(facts, "common-password", "pam_pwhistory.so")
    evidence("\n".join(lines) or "common-password has no pam_pwhistory line")
    assert lines, "pam_pwhistory is not used"
    remember = re.search(r"remember=(\d+)", lines[0])
    want = norm("PDC-PAM-003", "pwhistory_remember")
    assert remember and int(remember.group(1)) >= want, f"pam_pwhistory remembers fewer than {want} passwords"
    assert "use_authtok" in lines[0], "pam_pwhistory lacks use_authtok"


@pytest.mark.control("PDC-PAM-004")
def test_su_restricted(target, facts, evidence):
    lines = [line for line in _pam_line(facts, "su", "pam_wheel.so") if line.startswith("auth")]
    evidence("\n".join(lines) or "/etc/pam.d/su has no active pam_wheel line")
    group = setting("baseline", "baseline_su_group")
    assert any("required" in line and "use_uid" in line and f"group={group}" in line for line in lines), (
        f"su is not restricted to the {group} group")


# ------------------------------------------------------------------ sudo (the live policy: sudo -V as root)


def _sudo_policy(facts) -> str:
    return facts.run("sudo -V").stdout


@pytest.mark.control("PDC-SUD-001")
@items(lambda t: [Item("use_pty"), Item("logfile")])
def test_sudo_pty_and_log(target, item, facts, evidence):
    policy = _sudo_policy(facts)
    if item.id == "use_pty":
        # sudo 1.9 says "pseudo-tty", later versions "pseudo-terminal"
        hit = [line.strip() for line in policy.splitlines() if re.match(r"\s*Always run commands in a pseudo-t", line)]
        evidence("\n".join(hit) or "sudo -V: use_pty is not set")
        assert hit, "sudo does not run commands in a pseudo-terminal (use_pty)"
    else:
        hit = [line.strip() for line in policy.splitlines() if line.strip().startswith("Path to log file")]
        evidence("\n".join(hit) or "sudo -V: no log file")
        logfile = setting("baseline", "baseline_sudo_logfile")
        assert hit and hit[0].endswith(logfile), f"sudo does not log to {logfile}"


@pytest.mark.control("PDC-SUD-002")
def test_sudo_timeout(target, facts, evidence):
    hit = [line.strip() for line in _sudo_policy(facts).splitlines()
           if line.strip().startswith("Authentication timestamp timeout")]
    evidence("\n".join(hit) or "sudo -V: no timestamp timeout line")
    minutes = re.search(r"([0-9.]+) minutes", hit[0]) if hit else None
    limit = norm("PDC-SUD-002", "timestamp_timeout")
    assert minutes and float(minutes.group(1)) <= limit, f"sudo authentication timeout is above {limit} minutes"


# ------------------------------------------------------------------ updates, AIDE


@pytest.mark.control("PDC-UPD-001")
@items(lambda t: [Item("installed"), Item("enabled"), Item("security origin only")])
def test_unattended_upgrades(target, item, facts, evidence):
    if item.id == "installed":
        _present = "unattended-upgrades" in facts.packages()
        evidence(f"unattended-upgrades {'installed' if _present else 'not installed'}")
        assert _present, "unattended-upgrades is not installed"
    elif item.id == "enabled":
        out = facts.run("apt-config dump APT::Periodic").stdout
        hits = {k: v.strip('";') for k, v in (line.split(" ", 1) for line in out.splitlines() if " " in line)}
        hits = {k.removesuffix("::"): v for k, v in hits.items()}
        evidence(f"APT::Periodic::Unattended-Upgrade {hits.get('APT::Periodic::Unattended-Upgrade')}, "
                 f"Update-Package-Lists {hits.get('APT::Periodic::Update-Package-Lists')}")
        assert hits.get("APT::Periodic::Unattended-Upgrade") not in (None, "0"), "unattended upgrades are off"
    else:
        out = facts.run("apt-config dump Unattended-Upgrade::Origins-Pattern").stdout
        # the effective merge of every apt.conf.d file: Debian's 50unattended-upgrades counts too
        origins = [o for line in out.splitlines() if " " in line if (o := line.split(" ", 1)[1].strip('";'))]
        evidence("Origins-Pattern: " + "; ".join(origins))
        assert origins, "no Unattended-Upgrade::Origins-Pattern"
        assert all("security" in o.lower() for o in origins), "origins other than Debian-Security are upgraded"


@pytest.mark.control("PDC-AID-001")
@items(lambda t: [Item("aide installed"), Item("aide.conf Checksums"), Item("/var/lib/aide/aide.db")]
       + [Item(f"watches {p}", p) for p in setting("baseline", "baseline_aide_audit_tools")])
def test_aide_database(target, item, facts, evidence):
    if item.id == "aide installed":
        version = facts.packages().get("aide")
        evidence(f"aide {version or 'not installed'}")
        assert version, "aide is not installed"
    elif item.id == "aide.conf Checksums":
        value = settings(facts.file("/etc/aide/aide.conf").stdout, "=").get("Checksums")
        want = setting("baseline", "baseline_aide_checksums")
        evidence(f"aide.conf Checksums = {value}")
        assert value == want, f"AIDE hashes with {value}, expected {want}"
    elif item.id.startswith("watches "):
        # CIS 6.3.3: the audit tool's own rule, with its attributes and the digest
        rules = [line for line in active_lines(facts.file("/etc/aide/aide.conf").stdout)
                 if line.split()[0].rstrip("$").replace("\\", "") == item.value]
        evidence("\n".join(rules) or f"no AIDE rule for {item.value}")
        assert rules, f"AIDE has no rule of its own for {item.value}"
        group = rules[0].split()[-1]
        definition = settings(facts.file("/etc/aide/aide.conf").stdout, "=").get(group, "")
        for attribute in ("p", "i", "n", "u", "g", "s", "acl", "xattrs"):
            assert attribute in definition.split("+"), f"AIDE's {group} for {item.value} lacks {attribute}"
    else:
        st = facts.stat(item.id)
        evidence(f"{item.id}: {'present' if st else 'absent'}")
        assert st is not None, "the AIDE database was never initialised"


@pytest.mark.control("PDC-AID-002")
def test_aide_daily_check(target, facts, evidence):
    unit = facts.unit("aidecheck.timer")
    evidence(f"aidecheck.timer {unit.get('UnitFileState')} {unit.get('ActiveState')}")
    assert unit.get("UnitFileState") == "enabled", "aidecheck.timer is not enabled"
    assert unit.get("ActiveState") == "active", "aidecheck.timer is not active"


@pytest.mark.control("PDC-AID-003")
def test_package_checksums(target, facts, evidence):
    version = facts.packages().get("debsums")
    evidence(f"debsums {version or 'not installed'}")
    assert version, "debsums is not installed"
    run = facts.run(DEBSUMS)
    evidence(f"{DEBSUMS}: rc={run.rc} {(run.stdout + run.stderr).strip()[:300] or '(every file as shipped)'}")
    assert run.rc == 0, "sshd's files differ from the checksums Debian shipped"
