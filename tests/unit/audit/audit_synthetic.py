"""Synthetic audit results for report tests: real catalog controls, made-up observations."""

from __future__ import annotations

from pdc.audit.catalog import control_infos
from pdc.audit.model import AuditResults, HostInfo, ItemResult, Status


def results() -> AuditResults:
    hosts = {
        "tthc-web-01": HostInfo("tthc-web-01", "tthc", "Hệ thống TTHC", 3, "dmz", "debian12"),
        "qlvb-app-01": HostInfo("qlvb-app-01", "qlvb", "Quản lý văn bản", 2, "app", "debian12"),
    }
    items = [
        ItemResult("PDC-SSH-003", "tthc-web-01", "permitrootlogin", Status.PASS, ["sshd -T: permitrootlogin no"]),
        ItemResult("PDC-SSH-003", "tthc-web-01", "root login attempt", Status.PASS,
                   ["ssh root@tthc-web-01: rc=255: Permission denied (publickey)."]),
        ItemResult("PDC-SSH-004", "tthc-web-01", "passwordauthentication", Status.FAIL,
                   ["sshd -T: passwordauthentication yes",
                    "sshd -T reports passwordauthentication yes, expected no"]),
        ItemResult("PDC-SYS-001", "tthc-web-01", "kernel.randomize_va_space", Status.NOT_APPLICABLE,
                   reason="needs a real kernel (host is a container)"),
        ItemResult("PDC-FW-003", "tthc-web-01", "ssh from nowhere else", Status.WAIVED,
                   ["tcp/22 accept rules: inet pdc input: tcp dport 22 from any -> accept"],
                   reason="waived until 2027-01-01: migration of the jump host (waivers.yml:2)"),
        ItemResult("PDC-SSH-003", "qlvb-app-01", "permitrootlogin", Status.PASS, ["sshd -T: permitrootlogin no"]),
        ItemResult("PDC-AID-001", "qlvb-app-01", "aide installed", Status.NOT_APPLICABLE,
                   reason="not required at level 2 (required from level 3)"),
        ItemResult("PDC-TIM-002", "qlvb-app-01", "source 10.20.3.11", Status.ERROR,
                   reason="RuntimeError: ssh: connect to host qlvb-app-01 port 22: Connection refused"),
        ItemResult("PDC-WEB-002", "tthc-web-01", "x-frame-options", Status.FAIL,
                   ["x-frame-options: None", "HTTPS responses lack <x-frame-options> & \"quotes\""]),
    ]
    return AuditResults("lab", items, control_infos(), hosts, "2026-11-30 04:00:00 UTC", 3.2)


def all_pass() -> AuditResults:
    r = results()
    r.items = [i for i in r.items if i.status in (Status.PASS, Status.NOT_APPLICABLE, Status.WAIVED)]
    return r
