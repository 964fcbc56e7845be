"""SSH (ssh and bastion roles): sshd's effective settings (sshd -T) AND the live daemon.

``sshd -T`` reads the files on disk, so on its own it cannot tell whether the running
daemon was reloaded. Every host is therefore also probed from this machine with a real
SSH connection: the algorithms the daemon offers (its KEXINIT), the authentication methods
it offers and a root login attempt. A daemon still running an old config disagrees with
``sshd -T`` and fails PDC-SSH-001.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from pdc.audit.policy import norm, setting
from pdc.audit.suite import Item, active_lines, items, octal_at_most

PROBE_USER = "pdc-audit-probe"
NO_MUX = "-o ControlMaster=no -o ControlPath=none -o BatchMode=yes -o ConnectTimeout=10"


def _ssh(target, options: str) -> subprocess.CompletedProcess:
    if getattr(target.host.backend, "NAME", "") not in ("ssh", "safe-ssh", "paramiko"):
        pytest.skip("live SSH probes need an ssh connection to the host")
    config = ["-F", target.ssh_config] if target.ssh_config else []
    cmd = ["ssh", *config, *options.split(), target.name, "true"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def probe(target) -> dict:
    """What the running sshd offers: algorithms, auth methods, banner (cached per host)."""
    if "ssh_probe" not in target.extra:
        run = _ssh(target, f"-vv {NO_MUX} -o User={PROBE_USER} -o PubkeyAuthentication=no "
                           "-o PreferredAuthentications=none,password,keyboard-interactive")
        lines = run.stderr.splitlines()
        offered: dict[str, list[str]] = {}
        in_server = False
        for line in lines:
            if "peer server KEXINIT proposal" in line:
                in_server = True
            elif "local client KEXINIT proposal" in line:
                in_server = False
            elif in_server:
                m = re.match(r"debug2: (KEX algorithms|host key algorithms|ciphers ctos|MACs ctos): (.*)", line)
                if m:
                    offered[m.group(1)] = [a for a in m.group(2).split(",") if a and not a.startswith(
                        ("kex-strict", "ext-info"))]
        methods = [m.group(1) for line in lines
                   if (m := re.search(r"Authentications that can continue: (\S+)", line))]
        banner = [line for line in lines if not line.startswith(("debug", "OpenSSH", "Warning")) and line.strip()]
        target.extra["ssh_probe"] = {"offered": offered, "methods": methods[0].split(",") if methods else [],
                                     "banner": "\n".join(banner), "rc": run.returncode}
    return target.extra["ssh_probe"]


def _setting(facts, evidence, key):
    sshd = facts.sshd()
    if not sshd:
        out = facts.run("sshd -T")
        pytest.fail(f"sshd -T failed: {out.brief()}")
    value = sshd.get(key)
    evidence(f"sshd -T: {key} {value}")
    return value


def _expect(facts, evidence, key, *allowed):
    value = _setting(facts, evidence, key)
    assert value in allowed, f"sshd -T reports {key} {value}, expected {' or '.join(allowed)}"


# ------------------------------------------------------------------ PDC-SSH-001: hardened and in effect


@pytest.mark.control("PDC-SSH-001")
@items(lambda t: [Item("drop-ins included first"), Item("00-pdc.conf present"), Item("drop-ins 0600 root"),
                  Item("running daemon matches sshd -T")])
def test_sshd_config_in_effect(target, item, facts, evidence):
    if item.id == "drop-ins included first":
        lines = active_lines(facts.file("/etc/ssh/sshd_config").stdout)
        first = lines[0] if lines else "(empty)"
        evidence(f"first setting of sshd_config: {first}")
        assert first.lower().startswith("include") and "sshd_config.d" in first, (
            "sshd_config does not include sshd_config.d/*.conf before its own settings")
    elif item.id == "00-pdc.conf present":
        listing = facts.run("ls -1 /etc/ssh/sshd_config.d/").stdout.split()
        evidence(f"sshd_config.d: {' '.join(listing) or '(empty)'}")
        assert "00-pdc.conf" in listing, "00-pdc.conf is missing"
        first = sorted(listing)[0]
        assert first.startswith("00-pdc"), f"{first} sorts before the PDC drop-ins and can override them"
    elif item.id == "drop-ins 0600 root":
        out = facts.run("stat -c '%n %a %U' /etc/ssh/sshd_config.d/*.conf 2>/dev/null").stdout.splitlines()
        evidence("\n".join(out) or "no drop-ins")
        bad = [line for line in out if not (line.split()[2] == "root" and octal_at_most(line.split()[1], "600"))]
        assert not bad, f"drop-ins not 0600 root: {bad}"
    else:
        live = probe(target)
        sshd = facts.sshd()
        mismatch = []
        for live_key, key in (("ciphers ctos", "ciphers"), ("MACs ctos", "macs"),
                              ("KEX algorithms", "kexalgorithms")):
            offered = live["offered"].get(live_key)
            configured = [a for a in sshd.get(key, "").split(",") if a]
            evidence(f"live {key}: {','.join(offered or [])}")
            if offered is None:
                mismatch.append(f"no {key} seen in the live handshake")
            elif set(offered) != set(configured):
                mismatch.append(f"{key}: daemon offers {sorted(set(offered) - set(configured))} not in "
                                f"sshd -T, lacks {sorted(set(configured) - set(offered))}")
        password_live = bool({"password", "keyboard-interactive"} & set(live["methods"]))
        password_file = sshd.get("passwordauthentication") == "yes" or sshd.get(
            "kbdinteractiveauthentication") == "yes"
        evidence(f"live auth methods: {','.join(live['methods'])}")
        if password_live != password_file:
            mismatch.append(f"daemon offers {live['methods']} but sshd -T says passwordauthentication "
                            f"{sshd.get('passwordauthentication')}")
        assert not mismatch, "the running sshd is not on its current config (reload missing?): " + "; ".join(
            mismatch)


# ------------------------------------------------------------------ PDC-SSH-002: crypto (configured and live)

WEAK = {
    "ciphers": re.compile(r"-cbc$|^3des|^arcfour|^blowfish|^cast128"),
    "macs": re.compile(r"md5|sha1|-96|umac-64"),
    "kexalgorithms": re.compile(r"sha1$|group1-|group14-sha1|group-exchange-sha1|^gss"),
}
LIVE_KEY = {"ciphers": "ciphers ctos", "macs": "MACs ctos", "kexalgorithms": "KEX algorithms"}
CATALOG_NAME = {"ciphers": "ciphers", "macs": "macs", "kexalgorithms": "kex_algorithms"}


@pytest.mark.control("PDC-SSH-002")
@items(lambda t: [Item(f"{k} (sshd -T)", k) for k in WEAK] + [Item(f"{k} (live)", k) for k in WEAK])
def test_ssh_crypto(target, item, facts, evidence):
    key = item.value
    if item.id.endswith("(live)"):
        algorithms = probe(target)["offered"].get(LIVE_KEY[key], [])
        evidence(f"live {key}: {','.join(algorithms)}")
        assert algorithms, f"the live handshake showed no {key}"
    else:
        algorithms = (_setting(facts, evidence, key) or "").split(",")
    weak = [a for a in algorithms if WEAK[key].search(a)]
    assert not weak, f"weak {key} enabled: {','.join(weak)}"
    allowed = norm("PDC-SSH-002", CATALOG_NAME[key])
    extra = [a for a in algorithms if a not in allowed]
    assert not extra, f"{key} outside the catalog's PDC-SSH-002 list: {','.join(extra)}"
    if key != "kexalgorithms":  # each OpenSSH writes the key exchanges it knows (roles/ssh/vars)
        missing = [a for a in allowed if a not in algorithms]
        assert not missing, f"{key} missing from the catalog's PDC-SSH-002 list: {','.join(missing)}"


# ------------------------------------------------------------------ PDC-SSH-003: root


@pytest.mark.control("PDC-SSH-003")
@items(lambda t: [Item("permitrootlogin"), Item("root login attempt")])
def test_no_root_login(target, item, facts, evidence):
    if item.id == "permitrootlogin":
        _expect(facts, evidence, "permitrootlogin", "no")
    else:
        run = _ssh(target, f"{NO_MUX} -o User=root")
        said = (run.stderr.strip().splitlines() or ["(nothing)"])[-1]
        evidence(f"ssh root@{target.name} with the admin key: rc={run.returncode}: {said}")
        assert run.returncode != 0, "root logged in over SSH"


# ------------------------------------------------------------------ PDC-SSH-004: passwords


@pytest.mark.control("PDC-SSH-004")
@items(lambda t: [Item("passwordauthentication"), Item("kbdinteractiveauthentication"),
                  Item("permitemptypasswords"), Item("methods offered to a client")])
def test_no_password_login(target, item, facts, evidence):
    if item.id == "methods offered to a client":
        methods = probe(target)["methods"]
        evidence(f"the live sshd offers: {','.join(methods) or '(nothing)'}")
        assert methods, "no authentication methods seen in the live probe"
        assert not {"password", "keyboard-interactive"} & set(methods), (
            f"the running sshd accepts password logins ({','.join(methods)})")
    else:
        _expect(facts, evidence, item.id, "no")


@pytest.mark.control("PDC-SSH-005")
def test_allow_groups(target, facts, evidence):
    value = _setting(facts, evidence, "allowgroups")
    groups = (value or "").replace(",", " ").split()
    assert groups, "sshd has no AllowGroups: every account with a key may log in"
    admin = target.model.system.admin_group if target.model else None
    if admin:
        assert admin in groups, f"AllowGroups {groups} lacks the system's admin group {admin}"




def session_limits(t):
    """Upper bounds from the catalog's PDC-SSH-006 values (the bastion's own, stricter ones are BAS-002)."""
    return [Item("clientaliveinterval", (1, norm("PDC-SSH-006", "client_alive_interval"))),
            Item("clientalivecountmax", (1, norm("PDC-SSH-006", "client_alive_count_max"))),
            Item("logingracetime", (1, norm("PDC-SSH-006", "login_grace_time"))),
            Item("maxauthtries", (1, norm("PDC-SSH-006", "max_auth_tries"))),
            Item("maxsessions", (1, norm("PDC-SSH-006", "max_sessions"))),
            Item("maxstartups", norm("PDC-SSH-006", "max_startups"))]


@pytest.mark.control("PDC-SSH-006")
@items(session_limits)
def test_session_limits(target, item, facts, evidence):
    value = _setting(facts, evidence, item.id)
    if item.id == "maxstartups":
        parts, want = (value or "").split(":"), [int(x) for x in item.value.split(":")]
        assert len(parts) == 3 and int(parts[0]) <= want[0] and int(parts[2]) <= want[2], (
            f"maxstartups {value}, expected {item.value} or stricter")
        return
    low, high = item.value
    assert value is not None and low <= int(value) <= high, f"{item.id} {value}, expected {low}..{high}"


@pytest.mark.control("PDC-SSH-007")
@items(lambda t: [Item("banner setting"), Item("banner shown before login")])
def test_ssh_banner(target, item, facts, evidence):
    if item.id == "banner setting":
        _expect(facts, evidence, "banner", setting("ssh", "ssh_banner_file"))
    else:
        shown = probe(target)["banner"]
        evidence(f"banner seen by a client: {shown[:200] or '(none)'}")
        issue = facts.file("/etc/issue.net").stdout.strip()
        assert shown and issue and issue.splitlines()[0].strip() in shown, "no legal banner before login"


def _forwarding_items(t):
    out = [Item("hostbasedauthentication", ("no",)), Item("ignorerhosts", ("yes",)),
           Item("permituserenvironment", ("no",)), Item("gssapiauthentication", ("no",)),
           Item("loglevel", ("VERBOSE",)), Item("tcpkeepalive", ("no",)), Item("compression", ("no",))]
    forwarding = [("disableforwarding", "yes"), ("allowtcpforwarding", "no"), ("allowagentforwarding", "no"),
                  ("x11forwarding", "no")]
    for keyword, value in forwarding:
        if t.has_role("bastion"):  # the bastion forwards TCP for ProxyJump; PDC-BAS-001 checks the rest
            out.append(Item(keyword, na="the bastion forwards TCP (PDC-BAS-001)"))
        else:
            out.append(Item(keyword, (value,)))
    return out


@pytest.mark.control("PDC-SSH-008")
@items(_forwarding_items)
def test_forwarding_and_logging(target, item, facts, evidence):
    _expect(facts, evidence, item.id, *item.value)


@pytest.mark.control("PDC-SSH-009")
@items(lambda t: [Item(f"ssh_host_{k}_key{pub}") for k in ("rsa", "ecdsa", "ed25519") for pub in ("", ".pub")])
def test_host_key_permissions(target, item, facts, evidence):
    path = f"/etc/ssh/{item.id}"
    st = facts.stat(path)
    if st is None:
        evidence(f"{path}: absent")
        key = path.removesuffix(".pub")
        assert key not in (facts.sshd().get("hostkey") or ""), f"sshd uses {key} but {path} is missing"
        return
    evidence(f"{path}: {st['mode']} {st['owner']}:{st['group']}")
    limit = "644" if path.endswith(".pub") else "600"
    assert st["owner"] == "root" and octal_at_most(st["mode"], limit), f"{path} is {st['mode']} {st['owner']}"


# ------------------------------------------------------------------ bastion


@pytest.mark.control("PDC-BAS-001")
@items(lambda t: [Item("allowtcpforwarding", "yes"), Item("allowagentforwarding", "no"),
                  Item("x11forwarding", "no")])
def test_bastion_forwarding(target, item, facts, evidence):
    _expect(facts, evidence, item.id, item.value)


@pytest.mark.control("PDC-BAS-002")
@items(lambda t: [Item("maxsessions", norm("PDC-BAS-002", "max_sessions")),
                  Item("clientaliveinterval", norm("PDC-BAS-002", "client_alive_interval"))])
def test_bastion_sessions(target, item, facts, evidence):
    value = _setting(facts, evidence, item.id)
    assert value is not None and 0 < int(value) <= item.value, f"{item.id} {value}, expected at most {item.value}"
