"""What a parsed source list looks like to the code that reports positions: every value with its line and column."""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap, CommentedSeq


def layout(node, path: str = "") -> list:
    """Every value with the line and column ruamel recorded for it: what the editor and the loader rely on."""
    found = []
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            found.append((f"{path}/{key}", tuple(node.lc.key(key)[:2]), tuple(node.lc.value(key)[:2])))
            found.extend(layout(value, f"{path}/{key}"))
    elif isinstance(node, CommentedSeq):
        for i, value in enumerate(node):
            found.append((f"{path}/{i}", tuple(node.lc.item(i))))
            found.extend(layout(value, f"{path}/{i}"))
    else:
        found.append((path, type(node).__name__, str(node)))
    return found
