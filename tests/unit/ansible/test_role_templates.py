"""Role templates refuse line breaks: every interpolation ends with ``one_line`` (issue 13, item 4).

- Lint: Jinja's own parser finds every ``{{ }}`` of every template in roles/*/templates, and each
  must be a call of ``one_line`` as its last filter.
- The filter itself, on each kind of line break and control character, and on valid text.
- Real renders: Ansible's template lookup renders the sshd, chrony, pg_hba, nginx, DNS and rsyslog
  templates with one hostile value each and fails with one_line's message; with clean values the
  same templates render.
"""

from __future__ import annotations

import importlib.util
import json
import re

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_support import run_playbook

from pdc import paths

TEMPLATES = sorted(paths.ROLES.glob("*/templates/*.j2"))
ONE_LINE_MODULE = paths.ROLES / "pdc" / "filter_plugins" / "pdc_text.py"


def _one_line():
    spec = importlib.util.spec_from_file_location("pdc_text", ONE_LINE_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.one_line


def interpolations(template) -> list[jinja2.nodes.Expr]:
    tree = jinja2.Environment().parse(template.read_text())
    return [node for output in tree.find_all(jinja2.nodes.Output) for node in output.nodes
            if not isinstance(node, jinja2.nodes.TemplateData)]


def test_there_are_templates_to_check():
    assert len(TEMPLATES) >= 25
    assert sum(len(interpolations(t)) for t in TEMPLATES) >= 80


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: f"{t.parent.parent.name}/{t.name}")
def test_every_interpolation_ends_with_one_line(template):
    for node in interpolations(template):
        assert isinstance(node, jinja2.nodes.Filter) and node.name == "one_line", (
            f"{template.relative_to(paths.ROOT)}:{node.lineno}: an interpolation does not end with | one_line")


HOSTILE_CHARS = ["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\t", "\x7f"]


@pytest.mark.parametrize("char", HOSTILE_CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_one_line_refuses_line_breaks_and_control_characters(char):
    with pytest.raises(AnsibleFilterError) as err:
        _one_line()(f"sudo{char}PasswordAuthentication yes")
    assert "refusing to write" in str(err.value)
    assert repr(char) in str(err.value)


@pytest.mark.parametrize("value", ["Sở Thông tin và Truyền thông Hải Dương", "10.20.3.0/24", 514, 0, "a [b] {c}"])
def test_one_line_passes_printable_values_unchanged(value):
    assert _one_line()(value) is value


# template -> (clean variables, the variable to poison, a line its clean render holds)
RENDERS = {
    "ssh/templates/00-pdc.conf.j2": (
        {"ssh_settings": {"AllowGroups": "sudo pdcadm", "PasswordAuthentication": "no"},
         "ssh_control_settings": {"PDC-SSH-005": {}}, "pdc_active_controls": ["PDC-SSH-005"]},
        ("ssh_settings", {"AllowGroups": "x\nPasswordAuthentication yes"}), "AllowGroups sudo pdcadm"),
    "timesync/templates/chrony.conf.j2": (
        {"timesync_servers": ["10.20.3.11"], "timesync_extra_options": []},
        ("timesync_servers", ["10.20.3.11 iburst\nallow all"]), "server 10.20.3.11 iburst"),
    "postgresql/templates/pg_hba.conf.j2": (
        {"postgresql_client_networks": ["10.20.9.0/24"]},
        ("postgresql_client_networks", ["10.20.9.0/24 trust\u2028host all all 0.0.0.0/0"]), "10.20.9.0/24"),
    "nginx/templates/pdc-site.conf.j2": (
        {"nginx_upstreams": ["10.20.9.10"], "nginx_upstream_port": 8080, "nginx_server_name": "dvc.example.vn",
         "nginx_tls_port": 443, "nginx_redirect_ports": [80],
         "nginx_cert": "/etc/ssl/c.pem", "nginx_key": "/etc/ssl/k.pem", "nginx_hsts_max_age": 31536000},
        ("nginx_server_name", "dvc.example.vn;\rlocation / { root /; }"), "server_name dvc.example.vn;"),
    "dns_server/templates/pdc.conf.j2": (
        {"dns_server_clients": ["10.20.0.0/16"], "dns_server_domain": "pdc.internal",
         "dns_server_records": {"web": "10.20.8.10"}},
        ("dns_server_records", {"web": "10.20.8.10\"\nlocal-zone: \"evil."}), 'local-zone: "pdc.internal." static'),
    "logging/templates/50-pdc-forward.conf.j2": (
        {"logging_is_collector": False, "logging_soc_collectors": ["10.20.3.12"], "logging_soc_port": 514,
         "logging_soc_protocol": "tcp",
         "logging_queue_max_disk": "1g", "logging_resume_interval": 30},
        ("logging_soc_collectors", ["10.20.3.12\x85*.* /tmp/all"]), 'target="10.20.3.12"'),
}


def _render_play(poisoned: bool) -> list[dict]:
    tasks = []
    for template, (clean, (var, bad), _) in RENDERS.items():
        values = {**clean, var: bad} if poisoned else clean
        tasks.append({"name": template, "ansible.builtin.debug": {
            "msg": "{{ lookup('ansible.builtin.template', '%s', template_vars=_values) }}" % (paths.ROLES / template)},
            "vars": {"_values": values}, "ignore_errors": True})
    return [{"name": "Render role templates", "hosts": "localhost", "connection": "local", "gather_facts": False,
             # loads the pdc role's filters; --skip-tags always and `never` run none of its tasks
             "roles": [{"role": "pdc", "tags": ["never"]}],
             "tasks": tasks}]


def _results(tmp_path, poisoned: bool) -> dict[str, dict]:
    play = tmp_path / f"render-{poisoned}.yml"
    play.write_text(yaml.safe_dump(_render_play(poisoned), sort_keys=False))
    run = run_playbook("-i", "localhost,", str(play), "--skip-tags", "always",
                       ANSIBLE_CALLBACK_FORMAT_PRETTY="false")  # one result, one line of JSON
    assert "PLAY RECAP" in run.stdout, run.stdout + run.stderr
    out, current = {}, None
    for line in run.stdout.splitlines():
        if m := re.match(r"^TASK \[(.+?)\]", line):
            current = m[1]
        elif current and (m := re.match(r"^(ok|fatal): \[localhost\](?:: \w+!)? => (\{.*\})$", line)):
            out[current] = json.loads(m[2])
    return out


def test_role_templates_refuse_a_hostile_value_and_render_clean_ones(tmp_path):
    poisoned, clean = _results(tmp_path, True), _results(tmp_path, False)
    for template, (_, _, expected) in RENDERS.items():
        assert template in poisoned and template in clean, (template, poisoned.keys())
        assert "one_line: refusing to write" in poisoned[template].get("msg", ""), (template, poisoned[template])
        assert expected in clean[template]["msg"], (template, clean[template])
