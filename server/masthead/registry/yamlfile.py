"""Parse a source-list file into CommentedMaps that know their positions: libyaml first, the pure parser as judge."""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

__all__ = ["parse_yaml", "GuardedComposer", "StructureError", "check_events", "MAX_DEPTH", "MAX_ALIAS_EXPANSION"]

# A source list nests 7 levels deep. libyaml's composer recurses in C once per level with no limit: 60,000
# levels (120 KB of "[") overflowed the stack and killed every worker (issue 13), so depth is counted first.
MAX_DEPTH = 64
# What all aliases in a file may repeat, in nodes plus characters. Aliases are shared, not copied, but anything
# that walks or prints the data expands them: 583 bytes of nested aliases grew a worker to 1.9 GB (issue 13).
MAX_ALIAS_EXPANSION = 1_000_000

class StructureError(MarkedYAMLError):
    """The document nests too deeply or its aliases repeat too much; refused before it is built."""


def _too_deep(mark) -> StructureError:
    return StructureError(problem=f"the document nests more than {MAX_DEPTH} levels deep here", problem_mark=mark)


def _too_many_aliases(mark) -> StructureError:
    return StructureError(problem=f"aliases (*name) repeat more than {MAX_ALIAS_EXPANSION:,} nodes and characters "
                                  "by this one; write the values out", problem_mark=mark)


_STARTS = (MappingStartEvent, SequenceStartEvent)
_ENDS = (MappingEndEvent, SequenceEndEvent)


def check_events(events) -> None:
    """Depth and alias expansion from the event stream (no recursion, nothing built): StructureError when over."""
    depth = expanded = 0
    cost: dict[str, int] = {}  # anchor -> what an alias to it repeats
    open_: list[list] = [[None, 0]]  # [anchor, cost so far] of each open collection; the bottom one is the stream
    for event in events:
        kind = type(event)
        if kind in _STARTS:
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(event.start_mark)
            open_.append([event.anchor, 1])
            continue
        if kind is ScalarEvent:
            anchor, size = event.anchor, 1 + len(event.value)
        elif kind in _ENDS:
            anchor, size = open_.pop()
            depth -= 1
        elif kind is AliasEvent:
            anchor, size = None, cost.get(event.anchor, 1)  # an alias to a collection still open counts 1
            expanded += size
            if expanded > MAX_ALIAS_EXPANSION:
                raise _too_many_aliases(event.start_mark)
        else:
            continue
        if anchor is not None:
            cost[anchor] = size
        open_[-1][1] += size


def _node_cost(node, memo: dict[int, int]) -> int:
    """Nodes plus characters under `node`, each shared node counted where it is repeated (iterative)."""
    stack, order = [node], []
    while stack:
        item = stack.pop()
        if id(item) in memo:
            continue
        memo[id(item)] = 1  # provisional: a cycle counts once
        order.append(item)
        if isinstance(item, SequenceNode):
            stack.extend(item.value)
        elif isinstance(item, MappingNode):
            stack.extend(part for pair in item.value for part in pair)
    for item in reversed(order):
        if isinstance(item, ScalarNode):
            memo[id(item)] = 1 + len(item.value)
        elif isinstance(item, SequenceNode):
            memo[id(item)] = 1 + sum(memo[id(child)] for child in item.value)
        elif isinstance(item, MappingNode):
            memo[id(item)] = 1 + sum(memo[id(part)] for pair in item.value for part in pair)
    return memo[id(node)]


class GuardedComposer(Composer):
    """ruamel's pure-Python composer with the same two limits (it recurses in Python, so deep input is an error anyway)."""

    def compose_node(self, parent, index):
        self._levels = getattr(self, "_levels", 0) + 1
        try:
            if self._levels > MAX_DEPTH:
                raise _too_deep(self.parser.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._levels -= 1

    def return_alias(self, node):
        self._expanded = getattr(self, "_expanded", 0) + _node_cost(node, {})
        if self._expanded > MAX_ALIAS_EXPANSION:
            raise _too_many_aliases(node.start_mark)
        return node


class _TextDatesConstructor(RoundTripConstructor):
    """Dates stay text, so a bad date is a validation message rather than a parser crash."""


_TextDatesConstructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)

try:
    from _ruamel_yaml import CParser as _CParser  # libyaml, from ruamel.yaml.clib
    from ruamel.yaml.resolver import VersionedResolver

    class _FastComposer(_CParser, VersionedResolver):
        def __init__(self, text: str):
            _CParser.__init__(self, text)
            VersionedResolver.__init__(self, loader=self)
except ImportError:  # pragma: no cover - a Python without the C extension
    _FastComposer = None


def _events(parser):
    while True:
        event = parser.get_event()
        if event is None:
            return
        yield event


def parse_yaml(text: str):
    """The document as CommentedMaps and CommentedSeqs that know their line and column.

    libyaml composes the nodes about six times faster than ruamel's pure-Python round-trip parser, which
    gathers comments the loader never needs. libyaml reads YAML 1.1, though, and rejects some YAML 1.2 forms
    (a URL in a flow list, `[https://...]`), so any file it refuses goes to the pure parser, which then
    decides and reports the error with its position.
    """
    yaml = YAML(typ="rt")
    yaml.Constructor = _TextDatesConstructor
    yaml.Composer = GuardedComposer
    if _FastComposer is not None:
        try:
            check_events(_events(_CParser(text)))
            node = _FastComposer(text).get_single_node()
        except StructureError:
            raise
        except (YAMLError, ValueError):
            pass  # the pure parser decides, and says where
        else:
            return yaml.constructor.construct_document(node) if node is not None else None
    return yaml.load(text)
