"""Load YAML while remembering where every value came from (file and line).

Validation errors must name the file, the line and the field path, so each
document is composed into nodes first (libyaml when present: fast) and turned
into plain data plus a map from field path to line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.SafeLoader("")  # only used to construct scalars and keys


Path_ = tuple[str | int, ...]


@dataclass
class SourceError(Exception):
    """A problem tied to a place in the environment's files."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '<document>'}: {self.message}"


@dataclass
class SourceDoc:
    """One YAML file: its data and the line of every field path in it."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest known prefix of ``path``."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


def _to_data(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: Path) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        explicit: set[Path_] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` merges defaults
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    for k, v in _to_data(source, path, {}, file).items():
                        out.setdefault(k, v)
                        lines.setdefault(path + (k,), key_node.start_mark.line + 1)
                continue
            key = _constructor.construct_object(key_node)
            if isinstance(key, str) and key.startswith("x-") and not path:
                continue  # top-level `x-...` keys only hold YAML anchors
            if key in out and path + (key,) in explicit:
                raise SourceError(
                    str(file), key_node.start_mark.line + 1, _dotted(path + (key,)), "duplicate key"
                )
            explicit.add(path + (key,))
            out[key] = _to_data(value_node, path + (key,), lines, file)
            # the key's own line is more useful than the value's for block values
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, path + (i,), lines, file) for i, item in enumerate(node.value)]
    return _constructor.construct_object(node)


def load(file: Path, display_name: str | None = None) -> SourceDoc:
    """Parse one YAML file; raise SourceError naming the line on a syntax error."""
    name = display_name or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(name, None, "", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(name, None, "", f"not UTF-8 text ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SourceError(name, line, "", f"YAML syntax error: {problem}") from None
    if node is None:
        return SourceDoc(file, {}, {})
    lines: dict[Path_, int] = {}
    try:
        data = _to_data(node, (), lines, Path(name))
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise SourceError(name, mark.line + 1 if mark else None, "", f"YAML error: {exc.problem}") from None
    return SourceDoc(file, data, lines)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


dotted = _dotted
