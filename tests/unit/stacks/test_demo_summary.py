"""The demo summary's tenant count, read from a real plan of the lab (not a hand-made file)."""

from __future__ import annotations

from click.testing import CliRunner

from pdc.cli import main
from pdc.demo import plan_figures
from pdc.environment import load_environment


def test_plan_figures_count_one_tenant_per_system(tmp_path):
    out = tmp_path / "plan-lab.json"
    result = CliRunner().invoke(main, ["plan", "lab", "--json", str(out)])
    assert result.exit_code == 0, result.output
    tenants, resources = plan_figures(out)
    assert tenants == len(load_environment("lab").systems) > 0
    assert resources > tenants
