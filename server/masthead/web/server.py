"""Run the app under gunicorn, the production WSGI server, from Python (no shell wrapper)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

__all__ = ["run"]


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

        return create_app(self.settings)


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
        "loglevel": "warning",
        "preload_app": True,  # a broken sources.yaml fails before workers start
        "limit_request_line": 8190,  # its maximum; longer request lines get 414
    }
    _Gunicorn(settings, options).run()
