"""Parse a source-list file into CommentedMaps that know their positions: libyaml first, the pure parser as judge."""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

__all__ = ["parse_yaml"]

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


def parse_yaml(text: str):
    """The document as CommentedMaps and CommentedSeqs that know their line and column.

    libyaml composes the nodes about six times faster than ruamel's pure-Python round-trip parser, which
    gathers comments the loader never needs. libyaml reads YAML 1.1, though, and rejects some YAML 1.2 forms
    (a URL in a flow list, `[https://...]`), so any file it refuses goes to the pure parser, which then
    decides and reports the error with its position.
    """
    yaml = YAML(typ="rt")
    yaml.Constructor = _TextDatesConstructor
    if _FastComposer is not None:
        try:
            node = _FastComposer(text).get_single_node()
        except (YAMLError, ValueError):
            pass  # the pure parser decides, and says where
        else:
            return yaml.constructor.construct_document(node) if node is not None else None
    return yaml.load(text)
