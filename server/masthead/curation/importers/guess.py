"""Guessing from published lists: a website's host, a country from its name or TLD, ids, Russian dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from urllib.parse import urlsplit


from ... import urls
from ...registry.vocabulary import COUNTRIES
from .model import ImportError_

__all__ = ["country_code", "website_host", "slug", "host_id", "tld_country", "ru_date"]


# --- shared helpers ----------------------------------------------------------------------------

# Social networks and hosting platforms: a profile there is not the outlet's own website.
PLATFORMS = {
    "vk.com", "vk.ru", "t.me", "telegram.me", "telegram.org", "telegra.ph", "facebook.com", "fb.com", "twitter.com", "x.com",
    "instagram.com", "youtube.com", "youtu.be", "ok.ru", "tiktok.com", "dzen.ru", "yandex.ru", "medium.com",
    "livejournal.com", "teletype.in", "taplink.cc", "apple.com", "castbox.fm", "deezer.com", "soundstream.media",
    "appspot.com", "tilda.ws", "linkedin.com", "patreon.com", "boosty.to", "google.com", "spotify.com",
    "soundcloud.com", "wordpress.com", "blogspot.com", "substack.com", "github.com", "github.io", "rutube.ru",
    "mave.digital", "podster.fm", "linktr.ee", "wixsite.com", "weebly.com", "tumblr.com", "pinterest.com",
    "reddit.com", "threads.net", "bsky.app", "mastodon.social", "zen.yandex.ru", "vimeo.com", "twitch.tv",
    "threads.com", "whatsapp.com", "wa.me", "lnk.bio", "airtable.com", "24liveblog.com",
}
# ccTLDs that are sold as generic names say nothing about a country.
VANITY_TLDS = {"tv", "io", "me", "fm", "co", "ai", "cc", "ws", "to", "ly", "la", "gg", "im", "sh", "ac", "vc", "nu",
               "tk", "ml", "ga", "cf", "gq", "st", "am", "ag", "bz", "cx", "fo", "gl", "gs", "ms", "mu", "nf", "re",
               "sc", "so", "su", "tc", "vg", "xyz"}
CCTLD_COUNTRY = {"uk": "GB", "su": "RU", "xn--p1ai": "RU", "xn--90ais": "BY", "xn--j1amh": "UA"}

COUNTRY_ALIASES = {
    "bosnia and herzegovina": "BA", "congo": "CG", "côte d'ivoire": "CI", "cote d'ivoire": "CI", "dr congo": "CD",
    "europen union": "EU", "european union": "EU", "hong kong": "HK", "macao": "MO", "macau": "MO", "myanmar": "MM",
    "palestine territories": "PS", "palestine": "PS", "the gambia": "GM", "gambia": "GM", "turkey": "TR",
    "türkiye": "TR", "uae": "AE", "united states of america": "US", "usa": "US", "russia": "RU", "uk": "GB",
    "kosovo": "XK", "north korea": "KP", "south korea": "KR", "czech republic": "CZ", "vatican": "VA",
}


def country_code(name: str) -> str | None:
    """An English country name (as lists write them) -> ISO 3166-1 alpha-2, or None."""
    text = (name or "").strip()
    if not text:
        return None
    if text.upper() in COUNTRIES:
        return text.upper()
    lowered = text.lower()
    if lowered in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[lowered]
    return _babel_countries().get(lowered)


_COUNTRY_NAMES: dict[str, str] | None = None


def _babel_countries() -> dict[str, str]:
    global _COUNTRY_NAMES
    if _COUNTRY_NAMES is None:
        from babel import Locale

        _COUNTRY_NAMES = {
            name.lower(): code for code, name in Locale("en").territories.items() if code in COUNTRIES
        }
    return _COUNTRY_NAMES


def website_host(text: str) -> tuple[str | None, str]:
    """A URL or bare host as lists write them -> (the outlet's host, '') or (None, why it was left out)."""
    raw = (text or "").strip().strip(".,;«»\"'()[]")
    if not raw:
        return None, "no website"
    if "://" not in raw:
        raw = "https://" + raw
    try:
        netloc = urlsplit(raw).hostname or ""
    except ValueError:
        return None, "not a URL"
    try:
        host = urls.strip_alias_prefix(urls.normalise_host(netloc))
    except urls.URLError:
        return None, "not a URL"
    if "." not in host or re.fullmatch(r"[\d.]+", host):
        return None, "not a URL"
    registered = urls.registered_domain(host) or host
    if registered in PLATFORMS or host in PLATFORMS:
        return None, "a social network or platform page, not a website"
    if urls.is_public_suffix(host):
        return None, "a public suffix"
    return host, ""


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:80].rstrip("-") or "outlet"


def host_id(host: str) -> str:
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        ascii_host = host
    return slug(ascii_host)


def tld_country(host: str) -> str | None:
    """The country a country-code TLD stands for; None for generic and vanity TLDs."""
    tld = host.rsplit(".", 1)[-1].lower()
    if tld in CCTLD_COUNTRY:
        return CCTLD_COUNTRY[tld]
    if len(tld) == 2 and tld not in VANITY_TLDS and tld.upper() in COUNTRIES:
        return tld.upper()
    return None


def ru_date(text: str) -> str | None:
    """'27.06.2013' -> '2013-06-27'; None when it is not a real date."""
    match = re.fullmatch(r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*", text or "")
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def read_csv(path: Path) -> list[dict]:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportError_(f"{path}: not UTF-8 (line {line}); save it as UTF-8") from None
    return list(csv.DictReader(io.StringIO(text, newline="")))
