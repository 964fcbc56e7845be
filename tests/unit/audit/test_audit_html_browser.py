"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) renders it,
takes a screenshot, dumps the DOM for its key content, and prints it to PDF."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import audit_synthetic as synthetic
import pytest

from pdc.audit.report import write_reports

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed")


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    return out, write_reports(synthetic.results(), out / "reports")["html"]


def test_screenshot(report):
    tmp_path, html = report
    shot = tmp_path / "audit.png"
    run = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", html.as_uri())
    assert shot.exists(), run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 30_000  # a rendered page, not a blank canvas


def test_dom_has_the_key_content(report):
    tmp_path, html = report
    run = chromium(tmp_path, "--dump-dom", html.as_uri())
    dom = run.stdout
    assert 'id="verdict"' in dom and "FAIL: 3 required control result(s) fail" in dom, run.stderr[-2000:]
    text = re.sub(r"<[^>]+>", " ", dom)
    for needle in ("Summary by system and security level", "Score per host", "tthc-web-01", "qlvb-app-01",
                   "Level 3", "Level 2", "PDC-SSH-004", "passwordauthentication yes", "5.1.19",
                   "needs a real kernel", "waived until 2027-01-01", "33.3 %"):
        assert needle in text, needle
    assert dom.count('class="finding"') == 3


def test_prints_to_pdf(report):
    tmp_path, html = report
    pdf = tmp_path / "audit.pdf"
    run = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri())
    assert pdf.exists(), run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 2  # the controls section starts on its own page (@media print)
