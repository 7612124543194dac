"""Changing the curated list: the round-trip YAML document, safe file writes, the curator, the change log, imports, exports."""

from .changelog import ChangeLog, git_commit
from .curator import Curator, Edited
from .errors import Conflict, EditError, Invalid, NotFound
from .exports import export_csv, export_document
from .files import atomic_write, etag_matches, file_etag, file_lock
from .patch import PatchError, apply_patch
from .yamldoc import KEY_ORDER, YamlDoc, to_plain

__all__ = [
    "Curator", "Edited", "YamlDoc", "EditError", "NotFound", "Conflict", "Invalid", "ChangeLog", "git_commit",
    "file_etag", "file_lock", "etag_matches", "atomic_write", "apply_patch", "PatchError", "KEY_ORDER", "to_plain",
    "export_document", "export_csv",
]
