"""Pydantic's validation errors in words people can act on: file, line, field path, and what is wrong.

One translator for every file of an environment (environment, systems, sites, waivers). Values are
shown escaped and truncated (``shown``), so an error never prints a raw control character.
"""

from __future__ import annotations

from pydantic import ValidationError

from pdc.schema import PATTERN_HELP
from pdc.yamlsource import SourceDoc, SourceError, dotted, shown


def schema_errors(file: str, doc: SourceDoc, exc: ValidationError) -> list[SourceError]:
    """Pydantic's errors as SourceErrors people can act on: file, line, field path, plain words."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # union members add their type names to loc; drop them so the path stays the user's path
        loc = tuple(p for p in loc if not (isinstance(p, str) and p in _TYPE_TAGS))
        out.append(SourceError(file, doc.line_of(loc), dotted(loc), _message(err)))
    return out


def _message(err: dict) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        return f"invalid value {shown(value)}: {PATTERN_HELP.get(pattern, 'must match ' + pattern)}"
    if kind in _STRICT_TYPES and isinstance(value, bool | float | str):
        return f"must be {_STRICT_TYPES[kind]}, not {_yaml_kind(value)} (got {shown(value)})"
    if kind == "string_type" and isinstance(value, int | float | bool):
        return f"must be text, not {_yaml_kind(value)}: quote it (got {shown(value)})"
    if kind in _CUSTOM:
        return f"invalid value {shown(value)}: {err['msg']}"
    if isinstance(value, dict | list) or value is None:
        return err["msg"]
    return f"{err['msg']} (got {shown(value)})"


def _yaml_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a YAML boolean (yes/no/on/off/true/false)"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, int):
        return "a number"
    return "text"


_STRICT_TYPES = {"int_type": "a whole number", "bool_type": "true or false", "date_type": "a date (YYYY-MM-DD)"}
# our own types' errors (pdc.schema): the message is already in plain words
_CUSTOM = {"text_not_one_line", "text_padded", "ipv6_refused", "cidr", "management_source", "flow_source", "url_port",
           "address_not_text", "string_too_long", "string_too_short"}
_TYPE_TAGS = {"str", "int", "list[...]", "dict[...]", "Endpoint", "none", "is-instance[IPv4Address]"}
