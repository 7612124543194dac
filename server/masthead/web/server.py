"""Run the app under gunicorn, the production WSGI server, from Python (no shell wrapper)."""

from __future__ import annotations

import re

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

__all__ = ["run", "PrivateLogger"]

_INVALID_REQUEST = re.compile(r"^Invalid request from ip=.*?: ")


class PrivateLogger(Logger):
    """gunicorn's error log without the reader's address or URL (issue 13).

    gunicorn logs a malformed or oversize request as "Invalid request from ip=ADDR: ERROR", where ERROR may
    quote the request line (the page the reader is on), and an unhandled one with its URI. Both keep the
    kind of error and lose the rest."""

    @staticmethod
    def redact(msg, args):
        if isinstance(msg, str):
            if _INVALID_REQUEST.match(msg):
                return _INVALID_REQUEST.sub("Invalid request: ", msg).split("'", 1)[0].rstrip(" :"), ()
            if msg.startswith("Error handling request"):
                return "Error handling request", ()
        return msg, args

    def critical(self, msg, *args, **kwargs):
        super().critical(*self._parts(msg, args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(*self._parts(msg, args), **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(*self._parts(msg, args), **kwargs)

    def info(self, msg, *args, **kwargs):
        super().info(*self._parts(msg, args), **kwargs)

    def debug(self, msg, *args, **kwargs):
        super().debug(*self._parts(msg, args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(*self._parts(msg, args), **kwargs)

    def _parts(self, msg, args):
        msg, args = self.redact(msg, args)
        return (msg, *args)


class _Gunicorn(BaseApplication):
    def __init__(self, settings: dict, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .app import create_app

        self.app = create_app(self.settings)
        return self.app


def _ready_worker(worker) -> None:
    """Each worker, once forked: one BLAS thread and the sentence encoder loaded (embed.serving)."""
    from .. import embed

    if embed.available():
        embed.serving()


def run(settings: dict, host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,  # no URLs in logs by default: the reader's browsing stays private
        "errorlog": "-",
        "logger_class": PrivateLogger,
        "loglevel": "warning",
        "preload_app": True,  # a broken sources.yaml fails before workers start
        "limit_request_line": 8190,  # its maximum; longer request lines get 414
    }
    if settings.get("EMBED", True):
        options["post_worker_init"] = _ready_worker
    server = _Gunicorn(settings, options)
    server.run()
