"""The flow tests use the Ansible tests' helpers (a real ansible-playbook run, no lab)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ansible"))
