"""The curated list as an immutable Registry: load and validate sources.yaml, match a page to its outlet, owner chains."""

from .control import control_basis, control_model, label_summary
from .live import LiveSources
from .kept import Kept
from .loader import ID_RE, MAX_FILE_BYTES, check, load, load_with_problems, validate
from .model import Label, Match, Outlet, Owner, OwnerLink, Problem, Registry, SourcesError, parse_partial_date

__all__ = [
    "Problem", "SourcesError", "Label", "OwnerLink", "Owner", "Outlet", "Match", "Registry",
    "load", "validate", "check", "load_with_problems", "Kept", "parse_partial_date", "LiveSources",
    "control_model", "control_basis", "label_summary", "ID_RE", "MAX_FILE_BYTES",
]
