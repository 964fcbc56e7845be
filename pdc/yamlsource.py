"""Load YAML while remembering where every value came from (file and line).

Validation errors must name the file, the line and the field path, so each
document is composed into nodes first (libyaml when present: fast) and turned
into plain data plus a map from field path to line.

The files are untrusted input, so loading is bounded: the file must be a
regular file inside its folder, it is read only up to a size cap, and a first
streaming pass over the parser's events refuses explicit tags, deep nesting and
too many nodes before anything is built; converting the nodes to data then caps
alias expansion (a "billion laughs" stops after MAX_NODES) and refuses an alias
that contains itself. Every failure is a SourceError naming the file and line.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.SafeLoader("")  # only used to construct scalars and keys

# A 10,000-site sites.yml is about 1.5 MB (150 bytes a site): 32 MiB leaves twenty
# times that, while bounding what a merge request can make the parser hold.
MAX_BYTES = 32 * 1024 * 1024
# Nodes (keys and values) in one document, and visited while expanding aliases: the 10,000-site
# sites.yml has about 230,000. Composing takes about 500 bytes a node, so this also bounds memory
# (a file of 500,000 tiny nodes peaks near 270 MiB); a 600-byte alias bomb asks for billions.
MAX_NODES = 500_000
ALIAS_FACTOR = 10
# The schema nests at most 6 levels; 64 leaves room without letting recursion run away.
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"

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


def shown(value: Any, limit: int = 60) -> str:
    """A value as it may appear in an error: repr-escaped (no raw control character), truncated."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...(truncated)"


# ---------------------------------------------------------------- reading the file


def read_bounded(file: Path, name: str, root: Path | None = None, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file inside ``root`` (default: its own folder), at most ``limit``."""
    root = (root or file.parent).resolve()
    try:
        info = file.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = file.resolve(strict=True)  # raises on a loop or a dangling link
            if not target.is_relative_to(root):
                raise SourceError(name, None, "",
                                  f"is a symlink leaving the environment folder (to {shown(str(target))})")
        else:
            target = file
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(name, None, "", f"is not a regular file ({_kind(info.st_mode)})")
        # O_NOFOLLOW and O_NONBLOCK: if the path changed since the checks, never follow a new
        # link nor block on a FIFO; fstat then checks what was really opened.
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (RuntimeError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            raise SourceError(name, None, "", "cannot read: no such file") from None
        why = "symlink loop" if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP else exc.strerror
        raise SourceError(name, None, "", f"cannot read: {why}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SourceError(name, None, "", "is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise SourceError(name, None, "", f"is larger than {limit // (1024 * 1024)} MiB")
    return data


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "not a plain file"


# ---------------------------------------------------------------- parsing


def _prescan(text: str, name: str) -> int:
    """Stream the parser's events: refuse explicit tags, deep nesting and too many nodes; count them."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SourceError(name, _line(event), "", f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise SourceError(name, _line(event), "", f"more than {MAX_NODES} YAML nodes")
            tag = getattr(event, "tag", None)
            if tag is not None:
                raise SourceError(name, _line(event), "",
                                  f"explicit YAML tag {shown(tag)} is not allowed: write plain values")
    return nodes


def _line(event_or_node: Any) -> int:
    return event_or_node.start_mark.line + 1


class _Converter:
    """Nodes to plain data, recording lines; bounded in nodes visited and depth."""

    def __init__(self, name: str, lines: dict[Path_, int], nodes: int):
        self.name = name
        self.lines = lines
        self.visited = 0
        # aliases may repeat a value (merge keys, shared lists), but not blow the document up
        self.limit = min(MAX_NODES, ALIAS_FACTOR * nodes + 10_000)
        self.open: set[int] = set()  # nodes being converted: meeting one again is a recursive alias

    def error(self, node: yaml.Node, path: Path_, message: str) -> SourceError:
        return SourceError(self.name, _line(node), dotted(path), message)

    def convert(self, node: yaml.Node, path: Path_, record: bool = True) -> Any:
        self.visited += 1
        if self.visited > self.limit:
            # name the field holding the expansion (the last named key), not a list index deep inside it
            cut = max((i + 1 for i, part in enumerate(path) if isinstance(part, str)), default=0)
            raise SourceError(self.name, self.lines.get(path[:cut], _line(node)), dotted(path[:cut]),
                              f"aliases expand to more than {self.limit} values "
                              f"({ALIAS_FACTOR} times the document's own)")
        if len(path) > MAX_DEPTH:
            raise self.error(node, path, f"nested deeper than {MAX_DEPTH} levels (through aliases)")
        if record:
            self.lines.setdefault(path, _line(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.open:
            raise self.error(node, path, "recursive alias: this value contains itself")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, path + (i,), record) for i, item in enumerate(node.value)]
            return self.mapping(node, path, record)
        finally:
            self.open.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        try:
            return _constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:  # e.g. 2026-02-30, a 5,000-digit int
            raise self.error(node, path, f"invalid value {shown(node.value)}: {_reason(exc)}") from None

    def key(self, node: yaml.Node, path: Path_) -> str:
        if not isinstance(node, yaml.ScalarNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
            raise self.error(node, path, f"a {kind} cannot be a key")
        key = self.scalar(node, path)
        if not isinstance(key, str):
            kind = {bool: "boolean", int: "number", float: "number"}.get(type(key), type(key).__name__)
            raise self.error(node, path, f"key {shown(node.value)} must be a name, not a {kind}"
                             " (quote it if it is meant as text)")
        return key

    def mapping(self, node: yaml.MappingNode, path: Path_, record: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:  # `<<: *anchor` merges defaults
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise self.error(key_node, path, "'<<' merges only mappings")
                    for k, v in self.convert(source, path, record=False).items():
                        out.setdefault(k, v)
                        if record:
                            self.lines.setdefault(path + (k,), _line(key_node))
                continue
            key = self.key(key_node, path)
            if key.startswith("x-") and not path:
                continue  # top-level `x-...` keys only hold YAML anchors
            if key in explicit:
                raise self.error(key_node, path + (key,), "duplicate key")
            explicit.add(key)
            if record:  # the key's own line is more useful than the value's for block values
                self.lines[path + (key,)] = _line(key_node)
            out[key] = self.convert(value_node, path + (key,), record)
        return out


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "problem", None) or exc).splitlines()[0]


def load(file: Path, display_name: str | None = None, root: Path | None = None) -> SourceDoc:
    """Parse one YAML file; raise SourceError naming the line of any problem."""
    name = display_name or str(file)
    raw = read_bounded(file, name, root)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SourceError(name, line, "", f"not UTF-8 text ({exc.reason})") from None
    try:
        nodes = _prescan(text, name)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SourceError(name, line, "", f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:  # NUL and other characters YAML does not allow
        # libyaml counts the position in bytes: find the character itself to name its line
        bad = chr(exc.character) if isinstance(exc.character, int) else None
        at = text.find(bad) if bad else -1
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
        raise SourceError(name, line, "", f"character {shown(bad)} is not allowed in YAML" if bad
                          else "invalid character") from None
    except yaml.YAMLError as exc:
        raise SourceError(name, None, "", f"YAML error: {_reason(exc)}") from None
    if node is None:
        return SourceDoc(file, {}, {})
    lines: dict[Path_, int] = {}
    data = _Converter(name, lines, nodes).convert(node, ())
    return SourceDoc(file, data, lines)


def dotted(path: Path_) -> str:
    """A field path as people write it: systems[1].vm_groups[0].count; odd keys are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.match(str(part)):
            out += f"[{shown(part)}]"  # never print a raw line break or control character
        else:
            out += f".{part}" if out else str(part)
    return out


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.\[\]/-]{1,80}\Z")
