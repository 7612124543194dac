"""Why an operation of the application object cannot be done, with the HTTP status a web view answers with."""

from __future__ import annotations

__all__ = ["ServiceError"]


class ServiceError(Exception):
    def __init__(self, status: int, message: str, detail: dict | None = None):
        super().__init__(message)
        self.status, self.detail = status, detail
