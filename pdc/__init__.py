"""pdc: the provincial data centre toolkit (environment model, CLI, lab, reports)."""
