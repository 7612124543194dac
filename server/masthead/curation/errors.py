"""Why an edit cannot be made, with the HTTP status the API answers."""

from __future__ import annotations

from typing import Any

__all__ = ["EditError", "NotFound", "Conflict", "Invalid"]


class EditError(Exception):
    """An edit that cannot be made; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, detail: Any = None):
        super().__init__(message)
        self.message, self.detail = message, detail


class NotFound(EditError):
    status = 404


class Conflict(EditError):
    status = 409


class Invalid(EditError):
    """The edit would leave a list that does not validate; `detail["problems"]` lists why."""

    status = 422
