"""The rest of CIS Debian 12 Level 1 on the live host (baseline, firewall, timesync and logging areas):
accounts, file review, PAM's unix module, sudo re-authentication, apt signing, AppArmor, and the
checks that the design's choices hold (no display manager, no MTA beyond loopback, no ufw/iptables,
no timesyncd, no journal-remote). Each probe reads live state on the host; values come from the
catalog (pdc.audit.policy.norm) or the roles' settings, never typed here."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from pdc.audit.catalog import catalog
from pdc.audit.policy import norm, setting
from pdc.audit.suite import Item, active_lines, items, octal_at_most, settings

# ------------------------------------------------------------------ accounts (PDC-ACC-*)

ACCOUNTS_PROBE = r"""
import json, os, stat, subprocess, time
def table(path):
    return [l.rstrip("\n").split(":") for l in open(path) if l.strip() and not l.startswith("#")]
passwd, group, shadow = table("/etc/passwd"), table("/etc/group"), table("/etc/shadow")
defs = dict(l.split(None, 1) for l in open("/etc/login.defs")
            if l.strip() and not l.startswith("#") and len(l.split()) > 1)
uid_min = int(defs.get("UID_MIN", "1000").strip())
def status(user):
    out = subprocess.run(["passwd", "-S", user], capture_output=True, text=True).stdout.split()
    return out[1] if len(out) > 1 else "?"
env = {"HOME": "/root", "TERM": "dumb"}
root_path = subprocess.run(["/bin/bash", "-lc", 'printf %s "$PATH"'], env=env, capture_output=True, text=True).stdout
root_umask = subprocess.run(["/bin/bash", "-lc", "umask"], env=env, capture_output=True, text=True).stdout.strip()
path_entries = []
for d in root_path.split(":"):
    try:
        st = os.stat(d)
        path_entries.append([d, st.st_uid, oct(st.st_mode & 0o7777), stat.S_ISDIR(st.st_mode)])
    except OSError:
        path_entries.append([d, None, None, False])
nologin = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false")
homes = []
for p in passwd:
    if (int(p[2]) >= uid_min and int(p[2]) != 65534 or p[0] == "root") and p[6] not in nologin:
        h = {"user": p[0], "home": p[5], "exists": os.path.isdir(p[5])}
        if h["exists"]:
            st = os.stat(p[5]); h["owner"] = st.st_uid == int(p[2]); h["mode"] = oct(st.st_mode & 0o777)
            names = os.listdir(p[5])
            h["risky"] = [n for n in names if n in (".rhosts", ".netrc", ".forward")]
            h["writable_dot"] = [n for n in names if n.startswith(".") and os.path.isfile(os.path.join(p[5], n))
                                 and os.stat(os.path.join(p[5], n)).st_mode & 0o022]
            hist = os.path.join(p[5], ".bash_history")
            h["history"] = oct(os.stat(hist).st_mode & 0o777) if os.path.isfile(hist) else None
        homes.append(h)
print(json.dumps({
    "uid_min": uid_min, "today": int(time.time() // 86400),
    "passwd": passwd, "group": group,
    "shadow": [[s[0], s[1] == "", s[2]] for s in shadow],
    "status": {p[0]: status(p[0]) for p in passwd if p[0] == "root" or p[6] in nologin},
    "root_path": root_path, "path_entries": path_entries, "root_umask": root_umask, "homes": homes,
}))
"""


def _accounts(facts):
    out = facts.run(f"python3 -c {shlex.quote(ACCOUNTS_PROBE)}")
    assert out.ok, f"the accounts probe failed: {out.brief()}"
    return json.loads(out.stdout)


def norm_level(control: str) -> int:
    return catalog().by_id[control].min_level


NOLOGIN = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false")


def _root_items(t):
    # root's umask is the host's umask policy (PDC-SHL-002): required from that control's level
    umask_from = norm_level("PDC-SHL-002")
    below = t.model is not None and t.model.level < umask_from
    return [Item("UID 0 is root's alone"), Item("GID 0 is root's alone"), Item("root password locked or set"),
            Item("root PATH is safe"),
            Item("root umask", na=f"the umask policy (PDC-SHL-002) applies from level {umask_from}" if below else None)]


@pytest.mark.control("PDC-ACC-001")
@items(_root_items)
def test_root_account(target, item, facts, evidence):
    a = _accounts(facts)
    if item.id.startswith("UID"):
        bad = [p[0] for p in a["passwd"] if p[2] == "0" and p[0] != "root"]
        evidence(f"UID 0: {['root'] + bad}")
        assert not bad, f"other UID 0 accounts: {bad}"
    elif item.id.startswith("GID"):
        exempt = ("root", "sync", "shutdown", "halt", "operator")
        users = [p[0] for p in a["passwd"] if p[3] == "0" and p[0] not in exempt]
        groups = [g[0] for g in a["group"] if g[2] == "0" and g[0] != "root"]
        evidence(f"other accounts with GID 0: {users or 'none'}; other GID 0 groups: {groups or 'none'}")
        assert not users and not groups, f"GID 0 beyond root: accounts {users}, groups {groups}"
    elif item.id.startswith("root password"):
        evidence(f"passwd -S root: {a['status'].get('root')}")
        assert a["status"].get("root") in ("L", "P"), "root's password is empty (NP)"
    elif item.id.startswith("root PATH"):
        evidence(f"root PATH={a['root_path']}")
        assert "" not in a["root_path"].split(":"), "root's PATH has an empty entry"
        for d, uid, mode, is_dir in a["path_entries"]:
            assert d.startswith("/"), f"root's PATH has the relative entry {d!r}"
            if mode is not None:
                assert is_dir and uid == 0, f"root's PATH entry {d} is not a root-owned directory"
                assert not int(mode, 8) & 0o022, f"root's PATH entry {d} is group/world writable ({mode})"
    else:
        want = str(norm("PDC-SHL-002", "umask"))
        evidence(f"root login umask {a['root_umask']} (policy {want})")
        have = int(a["root_umask"], 8)
        assert have & int(want, 8) == int(want, 8), f"root's login umask {a['root_umask']} is laxer than {want}"


@pytest.mark.control("PDC-ACC-002")
@items(lambda t: [Item("system accounts have no login shell"), Item("accounts without a login shell are locked")])
def test_system_accounts(target, item, facts, evidence):
    a = _accounts(facts)
    keep = set(setting("baseline", "baseline_accounts_keep_shell"))
    if item.id.startswith("system"):
        bad = [f"{p[0]}:{p[6]}" for p in a["passwd"]
               if (int(p[2]) < a["uid_min"] or p[2] == "65534") and p[0] not in keep and p[6] not in NOLOGIN]
        evidence(f"system accounts with a login shell: {bad or 'none'}")
        assert not bad, f"system accounts with a login shell: {bad}"
    else:
        bad = [u for u, s in a["status"].items() if u != "root" and s != "L"]
        evidence(f"accounts without a login shell not locked: {bad or 'none'}")
        assert not bad, f"not locked: {bad}"


def _dupes(values):
    seen, out = set(), set()
    for v in values:
        (out if v in seen else seen).add(v)
    return sorted(out)


@pytest.mark.control("PDC-ACC-003")
@items(lambda t: [Item("shadowed"), Item("no empty password"), Item("primary groups exist"), Item("shadow group empty"),
                  Item("no duplicate UID"), Item("no duplicate GID"), Item("no duplicate user name"),
                  Item("no duplicate group name"), Item("no password change in the future")])
def test_account_databases(target, item, facts, evidence):
    a = _accounts(facts)
    passwd, group = a["passwd"], a["group"]
    if item.id == "shadowed":
        bad = [p[0] for p in passwd if p[1] != "x"]
    elif item.id == "no empty password":
        bad = [s[0] for s in a["shadow"] if s[1]]
    elif item.id == "primary groups exist":
        gids = {g[2] for g in group}
        bad = [f"{p[0]}:{p[3]}" for p in passwd if p[3] not in gids]
    elif item.id == "shadow group empty":
        shadow = next((g for g in group if g[0] == "shadow"), None)
        bad = ([m for m in shadow[3].split(",") if m] + [p[0] for p in passwd if p[3] == shadow[2]]) if shadow else []
    elif item.id == "no duplicate UID":
        bad = _dupes(p[2] for p in passwd)
    elif item.id == "no duplicate GID":
        bad = _dupes(g[2] for g in group)
    elif item.id == "no duplicate user name":
        bad = _dupes(p[0] for p in passwd)
    elif item.id == "no duplicate group name":
        bad = _dupes(g[0] for g in group)
    else:
        bad = [s[0] for s in a["shadow"] if s[2].isdigit() and int(s[2]) > a["today"]]
    evidence(f"{item.id}: {'offenders ' + ', '.join(bad) if bad else 'none found'}")
    assert not bad, f"{item.id}: {bad}"


@pytest.mark.control("PDC-ACC-004")
@items(lambda t: [Item("homes exist and are owned"), Item("homes are 750 or stricter"),
                  Item("no .rhosts .netrc .forward"),
                  Item("dot files not group/world writable"), Item(".bash_history 600")])
def test_interactive_homes(target, item, facts, evidence):
    homes = _accounts(facts)["homes"]
    evidence("; ".join(f"{h['user']} {h['home']} {h.get('mode', 'missing')}" for h in homes))
    for h in homes:
        if item.id.startswith("homes exist"):
            assert h["exists"] and h["owner"], f"{h['home']} of {h['user']} is missing or not theirs"
        elif not h["exists"]:
            continue
        elif item.id.startswith("homes are"):
            assert not int(h["mode"], 8) & 0o027, f"{h['home']} is {h['mode']}"
        elif item.id.startswith("no .rhosts"):
            assert not h["risky"], f"{h['home']} has {h['risky']}"
        elif item.id.startswith("dot files"):
            assert not h["writable_dot"], f"{h['home']}: group/world writable {h['writable_dot']}"
        else:
            assert h["history"] is None or not int(h["history"], 8) & 0o177, (
                f"{h['home']}/.bash_history is {h['history']}")


# ------------------------------------------------------------------ file review (PDC-FIL-003)

FIND_REVIEW = ("find / -xdev \\( -type f -perm -0002 -printf 'ww %p\\n' \\) , "
               "\\( -type d -perm -0002 ! -perm -1000 -printf 'wd %p\\n' \\) , "
               "\\( \\( -nouser -o -nogroup \\) -printf 'no %p\\n' \\) , "
               "\\( -type f -perm /6000 -printf 'su %p\\n' \\) 2>/dev/null; true")


@pytest.mark.control("PDC-FIL-003")
@items(lambda t: [Item("no world-writable file", "ww"), Item("world-writable directories are sticky", "wd"),
                  Item("every file has an owner and a group", "no"), Item("SUID/SGID programs approved", "su")])
def test_filesystem_review(target, item, facts, evidence):
    found = [line.split(" ", 1) for line in facts.run(FIND_REVIEW).stdout.splitlines() if " " in line]
    paths = [p for kind, p in found if kind == item.value]
    if item.value == "su":
        allowed = set(norm("PDC-FIL-003", "suid_sgid_allowed"))
        evidence("SUID/SGID: " + ", ".join(paths))
        paths = [p for p in paths if p not in allowed]
    else:
        evidence(f"{item.id}: {', '.join(paths[:20]) or 'none found'}")
    assert not paths, f"{item.id}: {paths[:20]}"


# ------------------------------------------------------------------ bootloader (PDC-BOT-*)

GRUB_CFG = "/boot/grub/grub.cfg"


@pytest.mark.control("PDC-BOT-001")
def test_bootloader_config_mode(target, facts, evidence):
    st = facts.stat(GRUB_CFG)
    if st is None:
        evidence(f"{GRUB_CFG}: absent (the host boots without GRUB)")
        return
    evidence(f"{GRUB_CFG}: {st['mode']} {st['owner']}:{st['group']}")
    assert st["owner"] == "root" and st["group"] == "root" and octal_at_most(st["mode"], "600"), (
        f"{GRUB_CFG} is {st['mode']} {st['owner']}:{st['group']}")


@pytest.mark.control("PDC-BOT-002")
def test_bootloader_password(target, facts, evidence):
    text = facts.run(f"cat {GRUB_CFG} 2>/dev/null || true").stdout
    evidence("superusers and password_pbkdf2 in grub.cfg" if "password_pbkdf2" in text else "no GRUB password")
    assert "set superusers" in text and "password_pbkdf2" in text, "GRUB has no password"


# ------------------------------------------------------------------ partitions (PDC-MNT-004, an exception)


@pytest.mark.control("PDC-MNT-004")
@items(lambda t: [Item(p) for p in ("/home", "/var", "/var/tmp", "/var/log", "/var/log/audit")])
def test_separate_partitions(target, item, facts, evidence):
    mounted = facts.mounts().get(item.id)
    evidence(f"findmnt {item.id}: {mounted['fstype'] + ' ' + mounted['options'] if mounted else 'not a mount'}")
    assert mounted is not None, f"{item.id} is not a separate filesystem"
    for option in ("nodev", "nosuid"):
        assert option in mounted["options"].split(","), f"{item.id} lacks {option}"


# ------------------------------------------------------------------ PAM's unix module (PDC-PAM-005)


@pytest.mark.control("PDC-PAM-005")
@items(lambda t: [Item("pam_unix enabled"), Item("no nullok"), Item("no remember"), Item("strong hash"),
                  Item("use_authtok")])
def test_pam_unix(target, item, facts, evidence):
    stacks = {name: [line for line in active_lines(facts.file(f"/etc/pam.d/common-{name}").stdout)
                     if "pam_unix.so" in line]
              for name in ("auth", "account", "password", "session")}
    evidence("\n".join(f"common-{n}: {' / '.join(lines) or 'no pam_unix'}" for n, lines in stacks.items()))
    every = [line for lines in stacks.values() for line in lines]
    password = " ".join(stacks["password"])
    if item.id == "pam_unix enabled":
        assert all(stacks.values()), f"pam_unix missing from {[n for n, lines in stacks.items() if not lines]}"
    elif item.id == "no nullok":
        assert not [line for line in every if re.search(r"\bnullok\b", line)], "pam_unix has nullok"
    elif item.id == "no remember":
        assert not [line for line in every if "remember=" in line], "pam_unix has remember="
    elif item.id == "strong hash":
        assert re.search(r"\b(yescrypt|sha512)\b", password), "common-password's pam_unix has no yescrypt/sha512"
    else:
        assert re.search(r"\buse_authtok\b", password), "common-password's pam_unix lacks use_authtok"


# ------------------------------------------------------------------ sudo re-authentication (PDC-SUD-003)


@pytest.mark.control("PDC-SUD-003")
def test_sudo_reauthentication(target, facts, evidence):
    out = facts.run("grep -rhE '^[^#]*!authenticate' /etc/sudoers /etc/sudoers.d 2>/dev/null; true")
    evidence(out.stdout.strip() or "no !authenticate in sudoers")
    assert not out.stdout.strip(), f"sudoers turns re-authentication off: {out.stdout.strip()[:200]}"


# ------------------------------------------------------------------ apt signing and sources (PDC-UPD-002)

APT_SOURCES = ("cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources "
               "2>/dev/null; true")


def _source_uris(text: str) -> list[str]:
    uris = []
    for line in active_lines(text):
        fields = re.sub(r"\[[^\]]*\]", " ", line).split()
        if fields and fields[0] in ("deb", "deb-src") and len(fields) > 1:
            uris.append(fields[1])
        elif line.lower().startswith("uris:"):
            uris += line.split()[1:]
    return uris


@pytest.mark.control("PDC-UPD-002")
@items(lambda t: [Item("Acquire::AllowInsecureRepositories"), Item("Acquire::AllowDowngradeToInsecureRepositories"),
                  Item("APT::Get::AllowUnauthenticated"), Item("no trusted or insecure source"),
                  Item("sources are the environment's mirror")])
def test_apt_signed_sources(target, item, facts, evidence):
    if "::" in item.id:
        dump = facts.run("apt-config dump").stdout
        m = re.search(rf'^{re.escape(item.id)} "([^"]*)";', dump, re.M)
        evidence(f"{item.id} {m.group(1) if m else '(unset)'}")
        assert m and m.group(1).lower() in ("false", "0", "no"), f"{item.id} is not false"
        return
    text = facts.run(APT_SOURCES).stdout
    if item.id.startswith("no trusted"):
        bypass = re.compile(r"(trusted|allow-insecure|allow-weak)\s*[=:]\s*yes", re.I)
        bad = [line for line in active_lines(text) if bypass.search(line)]
        evidence("\n".join(bad) or "no source is trusted=yes or allow-insecure=yes")
        assert not bad, f"sources bypass signatures: {bad}"
        return
    mirror = target.env.settings.shared_services.package_mirror if target.env else None
    uris = _source_uris(text)
    evidence(f"sources: {', '.join(uris) or 'none'}")
    assert uris, "apt has no sources"
    if mirror is None:
        pytest.skip("no environment: the mirror is unknown")
    allowed = [str(u).rstrip("/") for u in (mirror.debian, mirror.security)]
    bad = [u for u in uris if not any(u.rstrip("/") == a or u.startswith(a + "/") for a in allowed)]
    assert not bad, f"sources outside the environment's mirror {allowed}: {bad}"


# ------------------------------------------------------------------ AppArmor (PDC-APP-*)


@pytest.mark.control("PDC-APP-001")
@items(lambda t: [Item(p) for p in setting("baseline", "baseline_apparmor_packages")])
def test_apparmor_installed(target, item, facts, evidence):
    version = facts.packages().get(item.id)
    evidence(f"{item.id} {version or 'not installed'}")
    assert version, f"{item.id} is not installed"


@pytest.mark.control("PDC-APP-002")
@items(lambda t: [Item("enabled in the kernel"), Item("profiles enforce or complain"), Item("GRUB command line")])
def test_apparmor_enabled(target, item, facts, evidence):
    if item.id.startswith("enabled"):
        out = facts.run("cat /sys/module/apparmor/parameters/enabled")
        evidence(f"/sys/module/apparmor/parameters/enabled: {out.stdout.strip() or out.stderr.strip()}")
        assert out.stdout.strip() == "Y", "AppArmor is not enabled in the running kernel"
    elif item.id.startswith("profiles"):
        out = facts.run("aa-status --json")
        assert out.ok, f"aa-status failed: {out.brief()}"
        profiles = json.loads(out.stdout).get("profiles", {})
        modes = sorted(set(profiles.values()))
        evidence(f"{len(profiles)} profiles loaded, modes: {', '.join(modes) or 'none'}")
        assert profiles, "no AppArmor profile is loaded"
        assert set(modes) <= {"enforce", "complain"}, f"profiles in other modes: {modes}"
    else:
        if facts.stat("/etc/default/grub") is None:
            evidence("no /etc/default/grub: the host boots without GRUB (the kernel's default enables AppArmor)")
            return
        text = facts.run("cat /etc/default/grub /etc/default/grub.d/*.cfg 2>/dev/null; true").stdout
        args = setting("baseline", "baseline_apparmor_kernel_args")
        evidence("\n".join(line for line in active_lines(text) if "GRUB_CMDLINE_LINUX" in line))
        assert all(a in text for a in args.split()), f"GRUB's command line lacks {args}"


# ------------------------------------------------------------------ design checks (not applicable by design)


@pytest.mark.control("PDC-PKG-004")
@items(lambda t: [Item(p) for p in setting("baseline", "baseline_packages_absent")["PDC-PKG-004"]])
def test_no_display_manager(target, item, facts, evidence):
    installed = facts.packages()
    evidence(f"dpkg: {item.id} {'installed' if item.id in installed else 'not installed'}")
    assert item.id not in installed, f"{item.id} is installed: the design has no graphical login"


MAIL_PORTS = (25, 465, 587)


@pytest.mark.control("PDC-PKG-005")
def test_no_mta_beyond_loopback(target, facts, evidence):
    mail = [s for s in facts.listening() if s["proto"] == "tcp" and s["port"] in MAIL_PORTS]
    evidence("; ".join(f"{s['address']}:{s['port']} {s['process']}" for s in mail) or "nothing listens on 25/465/587")
    outside = [s for s in mail if not (s["address"].startswith("127.") or s["address"] == "::1")]
    assert not outside, f"a mail service listens beyond loopback: {outside}"


@pytest.mark.control("PDC-FW-006")
@items(lambda t: [Item("ufw"), Item("iptables-persistent"), Item("no iptables table")])
def test_no_ufw_or_iptables(target, item, facts, evidence):
    if item.id == "no iptables table":
        tables = [f"{e['table']['family']} {e['table']['name']}"
                  for e in facts.nft().get("nftables", []) if "table" in e]
        evidence(f"nft tables: {', '.join(tables) or 'none'}")
        iptables = ("filter", "nat", "mangle", "raw")
        legacy = [t for t in tables if t.split()[0] in ("ip", "ip6") and t.split()[1] in iptables]
        assert not legacy, f"iptables tables are loaded next to nftables: {legacy}"
        return
    installed = facts.packages()
    evidence(f"dpkg: {item.id} {'installed' if item.id in installed else 'not installed'}")
    assert item.id not in installed, f"{item.id} is installed: nftables is the design's one firewall"


@pytest.mark.control("PDC-TIM-003")
def test_no_timesyncd(target, facts, evidence):
    unit = facts.unit("systemd-timesyncd.service")
    evidence(f"systemd-timesyncd.service {unit.get('LoadState')} {unit.get('ActiveState')}")
    assert unit.get("ActiveState") != "active", "systemd-timesyncd runs next to chrony"


# ------------------------------------------------------------------ journald and log files (PDC-LOG-004..006)


def _journald(facts) -> dict[str, str]:
    return settings(facts.run("systemd-analyze cat-config systemd/journald.conf").stdout, "=")


@pytest.mark.control("PDC-LOG-004")
@items(lambda t: [Item("journald active"), Item("journal files 0640 or stricter"),
                  Item("rsyslog is the one log system")]
       + [Item(k, str(v)) for k, v in norm("PDC-LOG-004", "journald_rotation").items()])
def test_journald(target, item, facts, evidence):
    if item.id == "journald active":
        unit = facts.unit("systemd-journald.service")
        evidence(f"systemd-journald {unit.get('ActiveState')}")
        assert unit.get("ActiveState") == "active", "systemd-journald is not active"
    elif item.id.startswith("journal files"):
        out = facts.run("find /var/log/journal /run/log/journal -type f -perm /0137 2>/dev/null; true")
        evidence(out.stdout.strip()[:300] or "every journal file is 0640 or stricter")
        assert not out.stdout.strip(), f"journal files too open: {out.stdout.split()[:5]}"
    elif item.id.startswith("rsyslog"):
        unit = facts.unit("rsyslog.service")
        remote = "systemd-journal-remote" in facts.packages()
        evidence(f"rsyslog {unit.get('ActiveState')}; systemd-journal-remote {'installed' if remote else 'absent'}")
        assert unit.get("ActiveState") == "active" and not remote, "rsyslog is not the one log system"
    else:
        have = _journald(facts).get(item.id)
        evidence(f"journald {item.id}={have}")
        assert have == item.value, f"journald {item.id}={have}, expected {item.value}"


@pytest.mark.control("PDC-LOG-005")
@items(lambda t: [Item("log files closed"), Item("logrotate rotates rsyslog's files")])
def test_log_files(target, item, facts, evidence):
    if item.id == "log files closed":
        out = facts.run("find /var/log -xdev -type f \\( -perm /0007 -o -perm /0030 \\) "
                        "! \\( \\( -name 'wtmp*' -o -name 'btmp*' -o -name lastlog \\) ! -perm /0002 \\) "
                        "! -path /var/log/apt/history.log ! -path /var/log/apt/eipp.log.xz 2>/dev/null; true")
        evidence(out.stdout.strip()[:400] or "no log file is open to other users")
        assert not out.stdout.strip(), f"log files open to others: {out.stdout.split()[:10]}"
        return
    installed = "logrotate" in facts.packages()
    conf = facts.run("cat /etc/logrotate.d/rsyslog 2>/dev/null; true").stdout
    evidence(f"logrotate {'installed' if installed else 'absent'}; /etc/logrotate.d/rsyslog "
             f"{'present' if conf.strip() else 'absent'}")
    assert installed and "/var/log/" in conf, "logrotate does not rotate rsyslog's files"


@pytest.mark.control("PDC-LOG-006")
@items(lambda t: [Item("systemd-journal-remote absent"), Item("journald forwards to rsyslog")])
def test_no_journal_remote(target, item, facts, evidence):
    if item.id.startswith("systemd"):
        installed = facts.packages()
        state = "installed" if "systemd-journal-remote" in installed else "not installed"
        evidence(f"dpkg: systemd-journal-remote {state}")
        assert "systemd-journal-remote" not in installed, "systemd-journal-remote is installed"
    else:
        value = _journald(facts).get("ForwardToSyslog")
        evidence(f"journald ForwardToSyslog={value}")
        assert value == "yes", "journald does not forward to rsyslog"


# ------------------------------------------------------------------ Level 2 (from security level 4)


@pytest.mark.control("PDC-ACC-005")
def test_nologin_not_a_shell(target, facts, evidence):
    shells = active_lines(facts.file("/etc/shells").stdout)
    evidence("/etc/shells: " + ", ".join(shells))
    assert not [s for s in shells if s.endswith("/nologin")], "/etc/shells lists nologin"


@pytest.mark.control("PDC-PAM-006")
@items(lambda t: [Item("even_deny_root"), Item("root_unlock_time", str(norm("PDC-PAM-006", "root_unlock_time")))])
def test_faillock_includes_root(target, item, facts, evidence):
    lines = [" ".join(line.split()) for line in active_lines(facts.file("/etc/security/faillock.conf").stdout)]
    if item.value is None:
        evidence(f"faillock.conf even_deny_root {'set' if item.id in lines else 'absent'}")
        assert item.id in lines, "faillock does not lock root"
        return
    have = settings("\n".join(lines), "=").get(item.id)
    evidence(f"faillock.conf {item.id} = {have}")
    assert have == item.value, f"{item.id} = {have}, expected {item.value}"


@pytest.mark.control("PDC-SUD-004")
def test_sudo_asks_for_a_password(target, facts, evidence):
    out = facts.run("grep -rhE '^[^#]*NOPASSWD' /etc/sudoers /etc/sudoers.d 2>/dev/null; true")
    evidence(out.stdout.strip() or "no NOPASSWD rule")
    assert not out.stdout.strip(), "sudoers has NOPASSWD rules"
