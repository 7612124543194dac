"""Normalise and unwrap page URLs; map a host to its registered domain with the bundled Public Suffix List."""

from __future__ import annotations

import functools
import ipaddress
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import idna
import tldextract

__all__ = [
    "PageURL",
    "URLError",
    "NotAWebPage",
    "MAX_URL_LENGTH",
    "normalise",
    "normalise_host",
    "registered_domain",
    "is_public_suffix",
    "match_hosts",
    "parse_ipv4_loose",
]

MAX_URL_LENGTH = 6000  # gunicorn caps the whole request line at 8190 bytes

# The bundled snapshot only: no download, no cache files (see ../shared/TECH-NOTES.md).
_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_extract_private = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)

NON_WEB_SCHEMES = {
    "about", "blob", "chrome", "chrome-extension", "chrome-search", "chrome-untrusted", "data",
    "devtools", "edge", "file", "ftp", "javascript", "mailto", "moz-extension", "opera",
    "resource", "safari-extension", "tel", "view-source", "vivaldi", "ws", "wss", "brave",
    "intent", "market", "sms", "magnet", "irc", "news", "nntp", "gopher", "webcal", "urn",
}

# Query parameters that only track the reader; they never select content.
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
    "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid", "cmp", "smid",
    "smtyp", "ref_src", "ref_url", "ito", "at_medium", "at_campaign", "at_custom1",
    "at_custom2", "at_custom3", "at_custom4", "s_cid", "icid", "ns_mchannel", "ns_source",
    "ns_campaign", "ns_linkname", "ns_fee", "share", "sh", "spm", "xtor", "vero_id",
    "oly_anon_id", "oly_enc_id", "rb_clickid", "wt_mc", "wt.mc_id", "__twitter_impression",
    "twclid", "ttclid", "li_fat_id", "sr_share", "outputtype", "amp", "fromamp",
    "utm", "guccounter", "guce_referrer", "guce_referrer_sig", "cid_source", "trk",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "_branch")

# Hosts whose URLs carry the real target in a query parameter.
REDIRECTORS = {
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "m.facebook.com": ("u",),
    "www.facebook.com": ("u",),
    "l.messenger.com": ("u",),
    "l.instagram.com": ("u",),
    "l.threads.net": ("u",),
    "www.google.com": ("url", "q"),
    "google.com": ("url", "q"),
    "news.google.com": ("url",),
    "www.youtube.com": ("q",),
    "youtube.com": ("q",),
    "t.umblr.com": ("z",),
    "out.reddit.com": ("url",),
    "href.li": ("url",),
    "www.linkedin.com": ("url",),
    "slack-redir.net": ("url",),
    "away.vk.com": ("to",),
    "vk.com": ("to",),
    "duckduckgo.com": ("uddg",),
    "lnkd.in": ("url",),
    "exit.sc": ("url",),
    "r.search.yahoo.com": ("RU",),
    "click.redditmail.com": ("url",),
    "steamcommunity.com": ("url",),
}
# Where on each of those hosts the redirect endpoint is: "/" for a host that does nothing else. On a platform's
# own host only its redirect endpoint unwraps: https://vk.com/rt_russian?to=https://www.bbc.co.uk/ is a VK page,
# not the BBC (issue 26).
REDIRECT_ENDPOINTS = {
    "l.facebook.com": ("/",), "lm.facebook.com": ("/",), "m.facebook.com": ("/l.php",),
    "www.facebook.com": ("/l.php", "/flx/warn/"), "l.messenger.com": ("/",), "l.instagram.com": ("/",),
    "l.threads.net": ("/",), "www.google.com": ("/url",), "google.com": ("/url",), "news.google.com": ("/url",),
    "www.youtube.com": ("/redirect",), "youtube.com": ("/redirect",), "t.umblr.com": ("/",), "out.reddit.com": ("/",),
    "href.li": ("/",), "www.linkedin.com": ("/redir/redirect", "/safety/go"), "slack-redir.net": ("/",),
    "away.vk.com": ("/",), "vk.com": ("/away.php",), "duckduckgo.com": ("/l/",), "lnkd.in": ("/",), "exit.sc": ("/",),
    "r.search.yahoo.com": ("/",), "click.redditmail.com": ("/",), "steamcommunity.com": ("/linkfilter/",),
}
SAFELINKS_SUFFIX = ".safelinks.protection.outlook.com"

ARCHIVE_TODAY_HOSTS = {"archive.ph", "archive.today", "archive.is", "archive.li", "archive.vn", "archive.md", "archive.fo"}
MOBILE_PREFIXES = ("m.", "amp.", "mobile.")
ALIAS_PREFIXES = ("www.", *MOBILE_PREFIXES)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_ARCHIVE_PATH = re.compile(r"^/web/(?:\d{1,14}[a-z_]*|\*)/(.+)$", re.S)
_ARCHIVE_TODAY_PATH = re.compile(r"^/(?:newest|oldest|\d{14}|\d{4}\.\d{2}\.\d{2}-\d{6})/(.+)$", re.S)
_AMP_CACHE_PATH = re.compile(r"^/(?:c|v|i|wp|r|a)/(?:s/)?(.+)$", re.S)
# Each wrapper adds at least ~20 characters and the URL is at most 6,000: 64 is past any real chain. Five cut
# chains short and matched the last wrapper's host instead of the page (issue 13).
_MAX_UNWRAP = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_IP_LIKE = re.compile(r"^[\[]?[0-9a-fx:.]+[\]]?$|^\[")


class URLError(ValueError):
    """A URL that cannot be read (HTTP 400)."""

    status = 400


class NotAWebPage(URLError):
    """A well-formed address that is not a web page: chrome:, about:, file:, ... (HTTP 422)."""

    status = 422


@dataclass(frozen=True)
class PageURL:
    url: str
    scheme: str
    host: str
    path: str
    query: str
    registered_domain: str | None
    is_ip: bool = False
    unwrapped_from: tuple[str, ...] = field(default=())

    @property
    def display_host(self) -> str:
        """The host in Unicode, for people."""
        if "xn--" not in self.host:
            return self.host
        try:
            return idna.decode(self.host)
        except idna.IDNAError:
            return self.host


def normalise(raw: str) -> PageURL:
    """Return the canonical form of a page URL, unwrapping AMP caches, archives and redirect links."""
    if not isinstance(raw, str):
        raise URLError("the URL must be a string")
    text = raw.strip()
    if not text:
        raise URLError("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise URLError(f"the URL is {len(text)} characters long; the limit is {MAX_URL_LENGTH}")
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    wrappers: list[str] = []
    page = _parse(text)
    for _ in range(_MAX_UNWRAP):
        inner = _unwrap(page)
        if inner is None:
            break
        try:
            inner_page = _parse(inner)
        except URLError:
            # A wrapper whose payload is junk is still a page in its own right.
            break
        wrappers.append(text)
        text, page = inner, inner_page
    else:
        if _unwrap(page) is not None:
            raise URLError(f"the URL nests more than {_MAX_UNWRAP} redirect wrappers")
    if wrappers:
        page = PageURL(**{**page.__dict__, "unwrapped_from": tuple(wrappers)})
    return page


def _parse(text: str) -> PageURL:
    scheme_match = _SCHEME.match(text)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme not in ("http", "https"):
            if scheme in NON_WEB_SCHEMES or not text[scheme_match.end():].startswith("//"):
                if not _looks_like_host_port(text):
                    raise NotAWebPage(f"'{scheme}:' addresses are not web pages; Masthead reads http and https pages only")
            else:
                raise NotAWebPage(f"'{scheme}:' addresses are not web pages; Masthead reads http and https pages only")
            text = "https://" + text
    elif text.startswith("//"):
        text = "https:" + text
    else:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise URLError(f"the URL cannot be parsed: {exc}") from None
    scheme = parts.scheme.lower()
    host, is_ip = _clean_host(parts.hostname or "", raw_netloc=parts.netloc)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc = f"{netloc}:{port}"
    path = _clean_path(parts.path)
    query = _clean_query(parts.query)
    if not is_ip:
        host, netloc, path = _strip_alias_host(host, netloc, path)
    url = urlunsplit((scheme, netloc, path, query, ""))
    return PageURL(
        url=url,
        scheme=scheme,
        host=host,
        path=path,
        query=query,
        registered_domain=None if is_ip else registered_domain(host),
        is_ip=is_ip,
    )


def _looks_like_host_port(text: str) -> bool:
    # "example.com:8080/path" parses as scheme "example.com"; treat it as a bare host.
    return bool(re.match(r"^[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}:\d{1,5}(/|$)", text))


def normalise_host(host: str) -> str:
    """Lowercase, strip trailing dots, and convert to the ASCII (punycode) form."""
    host, _ = _clean_host(host, raw_netloc=host)
    return host


def _clean_host(host: str, raw_netloc: str) -> tuple[str, bool]:
    host = unquote(host).strip().rstrip(".").lower()
    if not host:
        raise URLError("the URL has no host name")
    if len(host) > 253:
        raise URLError("the host name is longer than 253 characters")
    ip = _as_ip(host)
    if ip is not None:
        return ip, True
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise URLError(f"the host name '{host}' is not a valid internationalised domain name ({exc})") from None
    labels = host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise URLError(f"'{host}' is not a valid host name")
    if host.startswith("xn--") or ".xn--" in host:
        try:
            # Round-trip so one name has one spelling whatever form it arrived in.
            host = idna.encode(idna.decode(host), uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise URLError(f"the host name '{host}' is not a valid internationalised domain name ({exc})") from None
    return host, False


def _as_ip(host: str) -> str | None:
    if not _IP_LIKE.match(host):
        return None
    candidate = host.strip("[]")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    if re.fullmatch(r"(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)(\.(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)){0,3}", candidate):
        # Decimal, octal and hex spellings ("2130706433", "0x7f.1") are IPv4 addresses to browsers.
        parsed = parse_ipv4_loose(candidate)
        if parsed is not None:
            return str(parsed)
    return None


def parse_ipv4_loose(text: str) -> ipaddress.IPv4Address | None:
    """Parse the inet_aton spellings browsers accept: '2130706433', '0177.1', '0x7f.0.0.1'."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        numbers = [int(p, 16) if p.startswith("0x") else int(p, 8) if len(p) > 1 and p.startswith("0") else int(p) for p in parts]
    except ValueError:
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(numbers)) + last
    return ipaddress.IPv4Address(value) if value < 2**32 else None


def _clean_path(path: str) -> str:
    if not path:
        return "/"
    path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~%")
    trailing = path.endswith("/")
    resolved = posixpath.normpath(path)
    if resolved.startswith("//"):
        resolved = "/" + resolved.lstrip("/")
    if resolved == ".":
        resolved = "/"
    if trailing and not resolved.endswith("/"):
        resolved += "/"
    if resolved.endswith("/amp") or resolved.endswith("/amp/"):
        resolved = resolved[: resolved.rfind("/amp")] or "/"
    if resolved.endswith(".amp"):
        resolved = resolved[:-4]
    return resolved


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [
        (k, v)
        for k, v in pairs
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    kept.sort(key=lambda kv: kv[0])
    return urlencode(kept, doseq=True)


def _strip_alias_host(host: str, netloc: str, path: str) -> tuple[str, str, str]:
    """m.example.com and amp.example.com are the same pages as example.com (m.amp.example.com too)."""
    stripped = _strip_prefixes(host, MOBILE_PREFIXES)
    return stripped, netloc.replace(host, stripped, 1), path


def _unwrap(page: PageURL) -> str | None:
    host = page.host
    if host.endswith(".cdn.ampproject.org") or host == "cdn.ampproject.org":
        return _unwrap_amp_cache(page)
    if host in ("www.google.com", "google.com") and page.path.startswith("/amp/"):
        rest = page.path[len("/amp/"):]
        if rest.startswith("s/"):
            return "https://" + rest[2:] + ("?" + page.query if page.query else "")
        return "http://" + rest + ("?" + page.query if page.query else "")
    if host in ("web.archive.org", "wayback.archive.org", "archive.org"):
        match = _ARCHIVE_PATH.match(page.path)
        if match:
            return _fix_embedded_scheme(match.group(1)) + ("?" + page.query if page.query else "")
    if host in ARCHIVE_TODAY_HOSTS:
        match = _ARCHIVE_TODAY_PATH.match(page.path)
        if match:
            return _fix_embedded_scheme(match.group(1)) + ("?" + page.query if page.query else "")
    if host.endswith(SAFELINKS_SUFFIX):
        return _param(page.query, ("url",))
    if host == "urldefense.com" and page.path.startswith("/v3/__"):
        return page.path[len("/v3/__"):].split("__;", 1)[0]
    names = REDIRECTORS.get(host)
    if names and at_endpoint(page.path, REDIRECT_ENDPOINTS[host]):
        target = _param(page.query, names)
        if target and re.match(r"^https?://", target, re.I):
            return target
    return None


def at_endpoint(path: str, endpoints: tuple[str, ...]) -> bool:
    """`path` is one of `endpoints` ("/url" is "/url" or below "/url/", never "/urlfoo"; "/" is every path)."""
    return any(end == "/" or path == end.rstrip("/") or path.startswith(end.rstrip("/") + "/") for end in endpoints)


def _unwrap_amp_cache(page: PageURL) -> str | None:
    match = _AMP_CACHE_PATH.match(page.path)
    if not match:
        return None
    secure = page.path.split("/")[2] == "s"
    target = ("https://" if secure else "http://") + match.group(1)
    return target + ("?" + page.query if page.query else "")


def _fix_embedded_scheme(inner: str) -> str:
    # Path normalisation (and some archives) collapse "https://" to "https:/".
    inner = re.sub(r"^(https?):/+", r"\1://", inner, flags=re.I)
    if not re.match(r"^https?://", inner, re.I):
        inner = "http://" + inner
    return inner


def _param(query: str, names: tuple[str, ...]) -> str | None:
    values = dict(parse_qsl(query, keep_blank_values=True))
    for name in names:
        if values.get(name):
            return values[name]
    return None


@functools.lru_cache(maxsize=65536)
def registered_domain(host: str) -> str | None:
    """The domain a registrant controls: 'news.bbc.co.uk' -> 'bbc.co.uk'. None for bare suffixes.

    A name under a suffix the list does not know (intranet, '.test') counts its last two labels.
    """
    parts = _extract(host)
    if parts.suffix:
        return parts.top_domain_under_public_suffix or None
    labels = host.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else None


@functools.lru_cache(maxsize=65536)
def is_public_suffix(host: str) -> bool:
    """True for hosts anyone can register under (co.uk, blogspot.com, github.io)."""
    private = _extract_private(host)
    return bool(private.suffix) and not private.domain


def match_hosts(host: str) -> list[str]:
    """Hosts to try when matching, most specific first, ending at the registered domain.

    'www.news.example.co.uk' -> ['news.example.co.uk', 'example.co.uk'].
    """
    host = strip_alias_prefix(host)
    base = registered_domain(host)
    if base is None:
        return [host]
    candidates = [host]
    while host != base and "." in host:
        host = host.split(".", 1)[1]
        candidates.append(host)
    return candidates


def strip_alias_prefix(host: str) -> str:
    """Drop leading www./m./amp./mobile. labels, never down to a public suffix."""
    return _strip_prefixes(host, ALIAS_PREFIXES)


def _strip_prefixes(host: str, prefixes: tuple[str, ...]) -> str:
    """Keep dropping a leading prefix while what remains is still a name someone registered."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in prefixes:
            if host.startswith(prefix):
                rest = host[len(prefix):]
                if "." in rest and not is_public_suffix(rest):
                    host, stripped = rest, True
                    break
    return host
