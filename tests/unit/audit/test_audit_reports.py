"""Result roll-up and the three reports, from synthetic results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import audit_synthetic as synthetic

from pdc.audit.model import AuditResults, Status, worst
from pdc.audit.report import html_report, junit_xml, summary_by_system, write_reports


def test_worst_status_wins_per_control():
    assert worst([Status.PASS, Status.FAIL, Status.NOT_APPLICABLE]) == Status.FAIL
    assert worst([Status.PASS, Status.WAIVED]) == Status.WAIVED
    assert worst([Status.NOT_APPLICABLE]) == Status.NOT_APPLICABLE
    assert worst([Status.FAIL, Status.ERROR]) == Status.ERROR


def test_scores_and_failures():
    r = synthetic.results()
    counts = r.host_counts("tthc-web-01")
    # SSH-003 pass, SSH-004 fail, SYS-001 n/a, FW-003 waived, WEB-002 fail
    assert counts == {"pass": 1, "fail": 2, "error": 0, "waived": 1, "not_applicable": 1}
    assert r.host_score("tthc-web-01") == round(100 / 3, 1)
    assert r.host_score("qlvb-app-01") == 50.0
    assert {(f.control, f.host) for f in r.failures()} == {
        ("PDC-SSH-004", "tthc-web-01"), ("PDC-WEB-002", "tthc-web-01"), ("PDC-TIM-002", "qlvb-app-01")}
    assert not r.passed
    assert synthetic.all_pass().passed


def test_json_round_trip(tmp_path):
    r = synthetic.results()
    data = json.loads(json.dumps(r.to_json()))
    back = AuditResults.from_json(data)
    assert back.to_json() == r.to_json()
    assert data["passed"] is False
    ssh = next(c for c in data["controls"] if c["id"] == "PDC-SSH-003")
    assert ssh["cis"] == ["5.1.20"] and ssh["tcvn"] == "server" and ssh["severity"] == "critical"
    failing = [x for x in data["results"] if x["status"] == "fail"]
    assert {x["control"] for x in failing} == {"PDC-SSH-004", "PDC-WEB-002"}
    assert "passwordauthentication yes" in failing[0]["items"][0]["evidence"][0] or \
        "passwordauthentication yes" in failing[1]["items"][0]["evidence"][0]


def test_junit_counts_and_messages():
    root = ET.fromstring(junit_xml(synthetic.results()))
    assert root.get("tests") == "9" and root.get("failures") == "2" and root.get("errors") == "1"
    assert root.get("skipped") == "3"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"tthc-web-01", "qlvb-app-01"}
    case = next(c for c in root.iter("testcase") if c.get("name") == "PDC-SSH-004[passwordauthentication]")
    assert case.get("classname") == "tthc-web-01.PDC-SSH-004"
    assert "passwordauthentication yes" in case.find("failure").get("message")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["cis"] == "5.1.19" and props["severity"] == "critical"
    waived = next(c for c in root.iter("testcase") if c.get("name") == "PDC-FW-003[ssh from nowhere else]")
    assert waived.find("skipped").get("message").startswith("waived: ")


def test_summary_by_system_and_level():
    rows = summary_by_system(synthetic.results())
    assert [(r["level"], r["system"]) for r in rows] == [(3, "tthc"), (2, "qlvb")]
    assert rows[0]["fail"] == 2 and rows[1]["error"] == 1


def test_html_is_self_contained_escaped_and_printable(tmp_path):
    text = html_report(synthetic.results())
    assert "<script" not in text and "http://" not in text and "https://" not in text.split("<footer")[0]
    assert "@media print" in text and "break-inside: avoid" in text
    assert "&lt;x-frame-options&gt; &amp; &#34;quotes&#34;" in text  # evidence is escaped
    for needle in ("PDC-SSH-004", "CIS Debian 12", "TCVN 11930", "5.1.19", "Level 3", "qlvb-app-01",
                   "not required at level 2", "needs a real kernel", "waived until 2027-01-01"):
        assert needle in text, needle
    paths = write_reports(synthetic.results(), tmp_path / "out")
    assert {p.name for p in paths.values()} == {"audit.json", "audit.junit.xml", "audit.html"}
    assert all(p.stat().st_size > 500 for p in paths.values())


def test_terminal_summary_lists_evidence_unless_brief(tmp_path):
    from rich.console import Console

    from pdc.audit.summary import print_summary

    def printed(brief: bool) -> str:
        console = Console(record=True, width=200)
        print_summary(synthetic.results(), tmp_path, console, brief=brief)
        return console.export_text()

    full, brief = printed(False), printed(True)
    assert "PDC-SSH-004 on tthc-web-01" in full and "3 required control result(s) fail:" in full
    assert "PDC-SSH-004" not in brief and "3 required control result(s) fail" in brief
    assert "tthc-web-01" in brief and "audit.html" in brief
