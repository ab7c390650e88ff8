"""Rewrite the cron values of one GitHub Actions workflow file, changing no other byte.

A workflow file is hand-written: comments, quoting, indentation, CRLF line endings and key order
all matter to its owner, and a pull request that reformats the whole file would be rejected (and
would hide the one-line change in the diff). PyYAML drops comments and normalises everything when
it re-serialises, so instead of dumping we *locate* each cron scalar with the PyYAML node graph
(``start_mark.index`` / ``end_mark.index`` are character offsets into the decoded text) and splice
the new value into exactly that span.

Anything we cannot edit with certainty is refused with :class:`EditRefused` rather than guessed
at: YAML anchors and aliases (the same text may feed several places), block scalars, duplicate
keys, several documents, and a file that changed since its crons were read (``CronEdit.old``).
After splicing, the result is read back and checked, so a bug here cannot silently corrupt a file.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import OrchestratorError

__all__ = ["CronEdit", "EditRefused", "schedule_crons", "edit_crons"]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"

#: Characters that may not start a plain scalar (YAML indicators). ``-``, ``?`` and ``:`` may in
#: some contexts, but a cron never needs them first, so quoting is the simpler safe answer.
_PLAIN_BAD_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`")
#: Inside ``{...}`` / ``[...]`` these end a plain scalar.
_FLOW_INDICATORS = frozenset(",[]{}:")
#: Unicode categories refused in a new cron: controls (tab, newline, NEL), format characters
#: (BOM, zero-width), line/paragraph separators (YAML 1.1 line breaks), surrogates, unassigned.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class CronEdit:
    """Replace the cron of one ``on.schedule`` entry.

    ``index`` is the entry's position in the file's ``on.schedule`` list (0-based, counting every
    list item, even one without a cron), the same numbering :func:`schedule_crons` uses.
    ``old`` is the cron as it was read when the recommendation was made; the edit is refused if
    the file now says something else (compared after collapsing whitespace runs to one space), so
    a concurrent hand edit is never overwritten. ``new`` is the cron to write.
    """

    index: int
    old: str
    new: str


class EditRefused(OrchestratorError):
    """A file that cannot be edited safely; str(exc) is a short reason a user can act on.

    It derives from :class:`~orchestrator.errors.OrchestratorError` (an ``Exception``) so the CLI
    and the action report it like every other user-facing error.
    """


class _Loader(yaml.SafeLoader):
    """SafeLoader that also records what the plain node graph does not keep.

    * which nodes carry an anchor (an alias composes to the very node object of its anchor, so
      "reached through an alias" is "is an anchored node" too);
    * where each scalar *token* starts: a node's ``start_mark`` is its event's, which includes a
      leading anchor (``&a``) or tag (``!!str``) that a splice must keep.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.anchored: set[int] = set()
        self.scalar_starts: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            self.anchored.add(id(node))
        return node

    def _record(self, token: Any) -> Any:
        self.scalar_starts[token.end_mark.index] = token.start_mark.index
        return token

    def scan_plain(self) -> Any:
        return self._record(super().scan_plain())

    def scan_flow_scalar(self, style: Any) -> Any:
        return self._record(super().scan_flow_scalar(style))

    def scan_block_scalar(self, style: Any) -> Any:
        return self._record(super().scan_block_scalar(style))


@dataclass
class _Entry:
    """One ``on.schedule`` item: its cron scalar (when it has a string one) and why it is not editable."""

    cron: ScalarNode | None
    problem: str | None
    in_flow: bool


@dataclass
class _Schedule:
    """The file's schedule entries, or (``problem``) why it has none an edit could address."""

    entries: list[_Entry]
    problem: str | None
    scalar_starts: dict[int, int]


def _compose(text: str) -> tuple[list[Node], _Loader]:
    """Every document's node graph; a YAML error becomes EditRefused naming the problem and line."""
    documents: list[Node] = []
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader rejects unprintable characters right here
        while loader.check_node():
            documents.append(loader.get_node())
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise EditRefused(
            f"does not parse as YAML: unacceptable character #x{exc.character:04x} ({exc.reason}) at line {line}"
        ) from exc
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise EditRefused(f"does not parse as YAML: {problem}{where}") from exc
    except yaml.YAMLError as exc:
        raise EditRefused(f"does not parse as YAML: {exc}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    return documents, loader


def _lookup(mapping: MappingNode, key: str) -> tuple[Node | None, bool, bool]:
    """``(value, via_merge, duplicated)`` for ``key`` in ``mapping``, as a YAML loader would see it.

    Keys are compared by their *text*: PyYAML 1.1 resolves a bare ``on`` to the boolean True, but
    GitHub (and the user) mean the key ``on`` whether it is quoted or not. A duplicated key takes
    the last value, like PyYAML; a key found only through a ``<<`` merge is reported as such,
    because its text lives in an anchored mapping elsewhere.
    """
    direct = [
        value
        for name, value in mapping.value
        if isinstance(name, ScalarNode) and name.tag != _MERGE_TAG and name.value == key
    ]
    if direct:
        return direct[-1], False, len(direct) > 1
    for name, value in mapping.value:
        if not (isinstance(name, ScalarNode) and name.tag == _MERGE_TAG):
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:  # an earlier mapping in ``<<: [*a, *b]`` wins, as in PyYAML
            if isinstance(source, MappingNode):
                found, _, _ = _lookup(source, key)
                if found is not None:
                    return found, True, False
    return None, False, False


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return "empty" if node.tag == "tag:yaml.org,2002:null" else "a string"
    return "not a mapping"


def _read(text: str) -> _Schedule:
    """Locate every ``on.schedule[i].cron`` scalar, noting for each why it may not be edited."""
    documents, loader = _compose(text)
    if len(documents) > 1:
        raise EditRefused(
            f"the file holds {len(documents)} YAML documents; a workflow file is a single document"
        )

    def none(problem: str) -> _Schedule:
        return _Schedule([], problem, loader.scalar_starts)

    top = documents[0] if documents else None
    if not isinstance(top, MappingNode):
        return none("the top of the file is not a mapping of workflow keys")
    aliased = id(top) in loader.anchored
    duplicate: str | None = None

    on, merged, twice = _lookup(top, "on")
    if on is None:
        return none("the workflow has no `on` key")
    aliased |= merged or id(on) in loader.anchored
    if twice:
        duplicate = "the workflow has more than one `on` key; edit it by hand"
    if not isinstance(on, MappingNode):
        return none(f"`on` is {_kind(on)}, so the workflow has no schedule entries")

    schedule, merged, twice = _lookup(on, "schedule")
    if schedule is None:
        return none("`on` has no `schedule` key")
    aliased |= merged or id(schedule) in loader.anchored
    if twice and duplicate is None:
        duplicate = "`on` has more than one `schedule` key; edit it by hand"
    if not isinstance(schedule, SequenceNode):
        return none("on.schedule is not a list of {cron: ...} entries")

    entries: list[_Entry] = []
    for index, item in enumerate(schedule.value):
        where = f"on.schedule[{index}]"
        cron: Node | None = None
        own_alias, own_twice = False, False
        if isinstance(item, MappingNode):
            cron, merged, own_twice = _lookup(item, "cron")
            own_alias = merged or id(item) in loader.anchored
        if not (isinstance(cron, ScalarNode) and cron.tag == _STR_TAG):
            entries.append(_Entry(None, f"{where} has no cron string", False))
            continue
        assert isinstance(item, MappingNode)
        problem: str | None = None
        if aliased or own_alias or id(cron) in loader.anchored:
            problem = f"{where}.cron is defined through a YAML anchor/alias; edit it by hand"
        elif duplicate is not None:
            problem = duplicate
        elif own_twice:
            problem = f"{where} has more than one `cron` key; edit it by hand"
        elif cron.style in ("|", ">"):
            problem = f"{where}.cron is a block scalar (| or >); edit it by hand"
        entries.append(_Entry(cron, problem, bool(item.flow_style)))
    return _Schedule(entries, None, loader.scalar_starts)


def schedule_crons(text: str) -> list[str | None]:
    """The cron value of each on.schedule entry in order (None for an entry without a cron string).

    Positions match :attr:`CronEdit.index`. A workflow without schedule entries (no ``on``, or an
    ``on`` that is a string or list such as ``on: [push, schedule]``) gives ``[]``. Raises
    :class:`EditRefused` only for a file that cannot be read as one YAML document.
    """
    return [entry.cron.value if entry.cron is not None else None for entry in _read(text).entries]


def _normal(cron: str) -> str:
    return " ".join(cron.split())


def _plain_ok(value: str, in_flow: bool) -> bool:
    """Whether ``value`` written unquoted reads back as exactly this string."""
    if not value or value != value.strip() or value[0] in _PLAIN_BAD_FIRST:
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if in_flow and any(char in _FLOW_INDICATORS for char in value):
        return False
    # ``5`` or ``yes`` would read back as a number or a boolean.
    return yaml.resolver.Resolver().resolve(ScalarNode, value, (True, False)) == _STR_TAG


def _render(value: str, style: str | None, in_flow: bool) -> str:
    """The new scalar in the old one's quoting style; single quotes when plain cannot hold it."""
    if style == '"':
        return f'"{value}"'
    if style is None and _plain_ok(value, in_flow):
        return value
    return f"'{value}'"


def _check_new(edit: CronEdit) -> None:
    where = f"on.schedule[{edit.index}]"
    if not isinstance(edit.new, str) or not edit.new.strip():
        raise EditRefused(f"the new cron for {where} is empty")
    bad = [char for char in edit.new if char in "'\"\\" or unicodedata.category(char) in _BAD_CATEGORIES]
    if bad:
        raise EditRefused(
            f"the new cron for {where} ({edit.new!r}) contains a quote, backslash, line break or "
            "control character; a cron never does"
        )


def edit_crons(text: str, edits: Sequence[CronEdit]) -> str:
    """``text`` with only those cron scalars replaced; raises EditRefused.

    Each edited scalar keeps its quoting style (``'...'``, ``"..."`` or plain; a plain one whose
    new value cannot be plain, say ``*/15 * * * *``, gets single quotes). Every other character,
    comments, line endings and a leading BOM included, is returned unchanged. The whole edit is
    refused, leaving nothing half-applied, if any one entry cannot be edited safely.
    """
    edits = list(edits)
    seen: set[int] = set()
    for edit in edits:
        if edit.index in seen:
            raise EditRefused(f"on.schedule[{edit.index}] is edited more than once")
        seen.add(edit.index)
        _check_new(edit)
    schedule = _read(text)
    if not edits:
        return text
    if schedule.problem is not None:
        raise EditRefused(schedule.problem)

    splices: list[tuple[int, int, str]] = []
    for edit in edits:
        where = f"on.schedule[{edit.index}]"
        if not 0 <= edit.index < len(schedule.entries):
            raise EditRefused(
                f"{where} does not exist: the file has {len(schedule.entries)} schedule entries"
            )
        entry = schedule.entries[edit.index]
        if entry.cron is None:
            raise EditRefused(entry.problem or f"{where} has no cron string")
        if _normal(entry.cron.value) != _normal(edit.old):
            raise EditRefused(
                f"{where}.cron is {entry.cron.value!r}, expected {edit.old!r}: "
                "the file changed since it was read"
            )
        if entry.problem is not None:
            raise EditRefused(entry.problem)
        end = entry.cron.end_mark.index
        start = schedule.scalar_starts.get(end, entry.cron.start_mark.index)
        splices.append((start, end, _render(edit.new, entry.cron.style, entry.in_flow)))

    result = text
    for start, end, replacement in sorted(splices, reverse=True):  # right to left: offsets stay valid
        result = result[:start] + replacement + result[end:]

    expected = [entry.cron.value if entry.cron is not None else None for entry in schedule.entries]
    for edit in edits:
        expected[edit.index] = edit.new
    if schedule_crons(result) != expected:  # a bug of ours; never hand back a damaged file
        raise EditRefused("the edited file would not read back as intended; edit it by hand")
    return result
