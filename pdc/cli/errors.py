"""How every command reports invalid input: each problem on its own line, then exit 1.

Errors quote values from the environment and the command line, so nothing here is read as
rich markup: a `[/dim]` in a name is printed as typed, never a crash or a change of style.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import NoReturn

from rich.console import Console
from rich.markup import escape


def exit_invalid(what: str, errors: Iterable[object]) -> NoReturn:
    errors = list(errors)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[bold red]{escape(what)} is invalid[/] ({len(errors)} error(s)):")
    for error in errors:
        err.print(f"  {error}", markup=False)
    sys.exit(1)
