"""How every command reports invalid input: each problem on its own line, then exit 1."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import NoReturn

from rich.console import Console


def exit_invalid(what: str, errors: Iterable[object]) -> NoReturn:
    errors = list(errors)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[bold red]{what} is invalid[/] ({len(errors)} error(s)):")
    for error in errors:
        err.print(f"  {error}", markup=False)
    sys.exit(1)
