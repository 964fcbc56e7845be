"""Reading configs needs no secret: render and the offline diff work with no credentials and no lab,
writing marked placeholders; a config holding a placeholder can never be pushed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pdc import paths
from pdc.cli import main
from pdc.wan import connect, credentials, push, render, verify
from pdc.wan.verify import SavedJob, diff_saved
from tests.unit.wan.hostile_files import plant

WAN_VARIABLES = ("USERNAME", "PASSWORD", "SECRET", "SNMP_AUTH", "SNMP_PRIV", "VAULT", "VAULT_PASSWORD_FILE")


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for key in WAN_VARIABLES:
        monkeypatch.delenv(f"PDC_WAN_{key}", raising=False)
    monkeypatch.setattr(paths, "STATE", tmp_path / "state")  # and no lab
    return tmp_path


def test_render_haiduong_needs_no_credentials_and_marks_every_secret(no_credentials, haiduong):
    out = no_credentials / "configs"
    result = CliRunner().invoke(main, ["wan", "render", "haiduong", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.cfg"))
    assert len(files) == len(haiduong.sites)
    dc = (out / "dc.cfg").read_text()
    assert "secret 9 <secret:wan-password-hash>" in dc and "enable secret 9 <secret:wan-enable-hash>" in dc
    assert "auth sha <secret:wan-snmp-auth> priv aes 128 <secret:wan-snmp-priv>" in dc
    assert "$9$" not in dc and "<redacted>" not in dc  # no hash of anything, nothing hidden: placeholders
    assert all(credentials.holds_placeholder(f.read_text()) for f in files)


def test_vrp_renders_without_credentials_too(no_credentials, haiduong):
    configs = render.render(haiduong, credentials.placeholders(haiduong), [haiduong.site("dc")], "huawei_vrp")
    assert "irreversible-cipher <secret:wan-password-hash>" in configs["dc"]


def test_a_placeholder_config_is_refused_before_any_session(no_credentials, haiduong, monkeypatch, creds_env):
    site = haiduong.site("dc")
    intended = render.render(haiduong, credentials.placeholders(haiduong), [site])["dc"]
    sessions = []
    monkeypatch.setattr(connect, "connect", lambda *a, **k: sessions.append(a) or pytest.fail("connected"))
    real = credentials.load(haiduong)
    for creds in (real, credentials.placeholders(haiduong)):  # whatever credentials come with it
        job = push.Job(connect.Target(site, "192.0.2.1", 22), intended, creds, apply=True, backups=None,
                       session_dir=None)
        result = push.push_device(job)
        assert result.status == "refused-placeholder" and result.failed
        assert "<secret:" in result.reason
    # real credentials with a real render still get as far as the session
    job = push.Job(connect.Target(site, "192.0.2.1", 22), render.render(haiduong, real, [site])["dc"], real,
                   apply=True, backups=None, session_dir=None)
    monkeypatch.setattr(connect, "connect", lambda *a, **k: sessions.append(a) or (_ for _ in ()).throw(
        ConnectionRefusedError()))
    assert push.push_device(job).status == "unreachable" and len(sessions) == 1


def _backup_of(haiduong, site_id: str, creds_env) -> str:
    """What `pdc wan backup` saves of a device holding exactly its intended config (secrets redacted)."""
    real = credentials.load(haiduong)
    config = render.render(haiduong, real, [haiduong.site(site_id)])[site_id]
    return real.redactor()("Building configuration...\n\nCurrent configuration : 4096 bytes\n" + config)


def test_offline_diff_against_a_backup_folder(no_credentials, haiduong, creds_env, monkeypatch):
    folder = no_credentials / "backup"
    folder.mkdir()
    (folder / "dc.cfg").write_text(_backup_of(haiduong, "dc", creds_env))
    drifted = _backup_of(haiduong, "nam-sach-01", creds_env).replace("hostname nam-sach-01\n", "hostname old\n")
    (folder / "nam-sach-01.cfg").write_text(drifted)
    for key in WAN_VARIABLES[1:]:
        monkeypatch.delenv(f"PDC_WAN_{key}", raising=False)  # only the user name, which is no secret
    args = ["wan", "diff", "haiduong", "--offline", "--running", str(folder), "--report",
            str(no_credentials / "diff.json"), "--quiet"]
    assert CliRunner().invoke(main, [*args, "--limit", "dc"]).exit_code == 0  # same config: nothing to do
    result = CliRunner().invoke(main, [*args, "--limit", "dc,nam-sach-01"])
    assert result.exit_code == 2, result.output
    changed = diff_saved(SavedJob(haiduong.site("nam-sach-01"),
                                  render.render(haiduong, credentials.placeholders(haiduong),
                                                [haiduong.site("nam-sach-01")])["nam-sach-01"],
                                  folder / "nam-sach-01.cfg"))
    assert changed.status == "changes" and "hostname nam-sach-01" in changed.details["remediation"]
    missing = CliRunner().invoke(main, [*args, "--limit", "tp-hai-duong"])
    assert missing.exit_code == 1  # no saved config for that device: an error, not "unchanged"
    assert "no saved running config" in (no_credentials / "diff.json").read_text()


def test_offline_and_running_go_together(no_credentials):
    result = CliRunner().invoke(main, ["wan", "diff", "haiduong", "--offline"])
    assert result.exit_code == 2 and "--offline and --running DIR go together" in result.output


@pytest.mark.parametrize("planted", ["dev-zero", "fifo", "escaping-link", "huge", "binary"])
def test_a_hostile_saved_running_config_is_an_error_for_that_device_only(no_credentials, haiduong, creds_env,
                                                                        planted):
    """--running DIR is read as it is given: each device's file must be a bounded regular text file
    inside DIR; anything else is that device's error, never a hang, and the others still diff."""
    folder = no_credentials / "backup"
    folder.mkdir()
    (folder / "dc.cfg").write_text(_backup_of(haiduong, "dc", creds_env))
    bad = folder / "nam-sach-01.cfg"
    if planted == "binary":
        bad.write_bytes(b"hostname \xff\xfe\n")
    else:
        plant(bad, planted, verify.CONFIG_MAX_BYTES, outside=_backup_of(haiduong, "nam-sach-01", creds_env))
    report = no_credentials / "diff.json"
    result = CliRunner().invoke(main, ["wan", "diff", "haiduong", "--offline", "--running", str(folder),
                                       "--limit", "dc,nam-sach-01", "--report", str(report), "--quiet"])
    assert result.exit_code == 1, result.output
    results = {r["site"]: r for r in json.loads(report.read_text())["devices"]}
    assert results["dc"]["status"] == "unchanged"
    assert results["nam-sach-01"]["status"] == "error" and "nam-sach-01.cfg" in results["nam-sach-01"]["reason"]
