"""The OpenAPI document for /api; tests keep it true to the routes and to real responses."""

from __future__ import annotations

from .. import __version__

__all__ = ["openapi_document", "register_paths"]

_EXTRA_PATHS: dict = {}


def register_paths(paths: dict) -> None:
    """Modules that add routes (corpus, curation) declare them here, next to their code."""
    _EXTRA_PATHS.update(paths)

_ERROR = {"$ref": "#/components/schemas/Error"}


def _q(name: str, description: str, required: bool = False, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema or {"type": "string"}}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_LABEL = {
    "type": "object",
    "required": ["type", "kind", "issuer", "jurisdiction", "since", "as_of", "date_kind", "sources"],
    "properties": {
        "type": {"type": "string"}, "kind": {"type": "string", "enum": ["control", "designation", "restriction", "platform"]},
        "title": {"type": "string"}, "issuer": {"type": "string"}, "jurisdiction": {"type": "string"},
        "since": {"type": ["string", "null"], "description": "a designation's start; an assessment's only when its assessor dates a change"},
        "until": {"type": ["string", "null"]},
        "as_of": {"type": ["string", "null"], "description": "an assessment's edition or date (a typology is a rating, not an event)"},
        "date_kind": {"type": "string", "enum": ["since", "as_of"], "description": "which date to show: 'as of 2025' or 'since 2 Mar 2022'"},
        "instrument": {"type": ["string", "null"]},
        "sources": {"type": "array", "items": {"type": "string"}, "minItems": 1}, "note": {"type": ["string", "null"]},
        "in_response_to": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["active", "historical", "future"]},
    },
}
_CHAIN_NODE = {
    "type": "object", "required": ["id", "name", "kind"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
                   "country": {"type": ["string", "null"]}, "share": {"type": ["number", "null"]}, "ultimate": {"type": "boolean"}},
}
_RELATED = {
    "type": "object", "required": ["url", "title", "score", "confidence", "control_model"],
    "description": "An article from another outlet that reports the same story. Only articles whose same-story "
                   "confidence reaches the server's threshold are listed: an empty list means no coverage of this story was found.",
    "properties": {
        "url": {"type": "string"}, "title": {"type": ["string", "null"]}, "published": {"type": ["string", "null"]},
        "snippet": {"type": ["string", "null"]}, "score": {"type": "number"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "calibrated probability that this article reports the same story"},
        "language": {"type": ["string", "null"], "description": "ISO 639-1 code, given or detected at ingest"},
        "registered_domain": {"type": ["string", "null"]}, "site_name": {"type": ["string", "null"]},
        "outlet": {"type": ["object", "null"]}, "labels": {"type": "array"},
        "control_model": {"type": "string", "enum": ["state-controlled", "public", "independent", "commercial", "unknown"]},
    },
}
_CONTEXT = {
    "type": "object",
    "required": ["url", "registered_domain", "outlet", "ownership", "labels", "related", "control_model", "as_of"],
    "properties": {
        "url": {"type": "string"}, "host": {"type": "string"}, "display_host": {"type": "string"},
        "registered_domain": {"type": ["string", "null"]},
        "unwrapped_from": {"type": "array", "items": {"type": "string"}}, "as_of": {"type": "string"},
        "outlet": {"type": ["object", "null"]}, "match": {"type": ["object", "null"]},
        "ownership": {"type": "array", "items": _CHAIN_NODE}, "ultimate_owners": {"type": "array"},
        "funding": {"type": "array", "description": "who funds the outlet and each owner of its chain (`of`), apart from who owns them",
                    "items": {"type": "object", "required": ["of", "funder", "name", "kind", "sources"]}},
        "former_domain": {"type": ["object", "null"], "required": ["until"],
                          "description": "the page's host was the outlet's until `until`: its labels are the outlet's, not the host's current holder's"},
        "labels": {"type": "array", "items": _LABEL},
        "control_model": {"type": "string"},
        "related": {"type": "array", "items": _RELATED},
        "background": {"type": "array", "items": _RELATED,
                       "description": "The same ongoing story at other times (more than a week from the page), from other "
                                      "outlets, most confident first (at most 5); never an item of `related`."},
        "coverage": {"type": ["object", "null"], "required": ["outlets", "by_control_model", "first"],
                     "description": "How this story was covered: the outlets that reported it (the page's own included) by "
                                    "control model, and the earliest report. Counts and dates only; null without coverage.",
                     "properties": {"outlets": {"type": "integer"}, "by_control_model": {"type": "object"},
                                    "first": {"type": ["object", "null"]}}},
        "coverage_skipped": {"type": ["string", "null"], "enum": ["busy", "unavailable", None],
                             "description": "why related coverage was not looked up this time (the server was busy, or "
                                            "its corpus unavailable); null when it was"},
    },
}


def openapi_document() -> dict:
    as_of = _q("as_of", "evaluate labels as of this date (YYYY-MM-DD); default today")
    return {
        "openapi": "3.0.3",
        "info": {"title": "Masthead", "version": __version__,
                 "description": "Who stands behind a news page: outlet, ownership chain, attributed labels, related coverage."},
        "paths": {
            "/api/ping": {"get": {"summary": "Liveness check", "responses": {"200": _ok({"type": "object"})}}},
            "/api/context": {"get": {
                "summary": "The whole answer for one page URL",
                "parameters": [
                    _q("url", "the page URL (http or https)", required=True),
                    _q("title", "the page title, used to find related coverage when the page is not in the corpus"),
                    as_of,
                    _q("limit", "how many related articles (0-50, default 8)", schema={"type": "integer", "minimum": 0, "maximum": 50}),
                ],
                "responses": {"200": _ok(_CONTEXT), "400": _err("malformed or oversize input"),
                              "422": _err("not a web page (chrome:, about:, file:, ...)"),
                              "429": _err("too many title lookups or page fetches from this client")},
            }},
            "/api/outlets": {"get": {
                "summary": "List outlets",
                "parameters": [_q("country", "ISO 3166-1 code"), _q("label", "label type"), _q("q", "name or domain contains"), as_of],
                "responses": {"200": _ok({"type": "object", "required": ["count", "outlets"]}), "400": _err("bad filter")},
            }},
            "/api/outlets/{outlet_id}": {"get": {
                "summary": "One outlet with labels and ownership chain",
                "parameters": [{"name": "outlet_id", "in": "path", "required": True, "schema": {"type": "string"}}, as_of],
                "responses": {"200": _ok({"type": "object", "required": ["id", "name", "labels", "ownership"]}), "400": _err("bad date"), "404": _err("no such outlet")},
            }},
            "/api/owners": {"get": {"summary": "List owners", "responses": {"200": _ok({"type": "object", "required": ["count", "owners"]})}}},
            "/api/owners/{owner_id}": {"get": {
                "summary": "One owner and the outlets it owns directly",
                "parameters": [{"name": "owner_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _ok({"type": "object", "required": ["id", "name", "kind"]}), "404": _err("no such owner")},
            }},
            "/api/domains": {"get": {
                "summary": "The domain map the extension matches tabs against locally (ETag; 304 when unchanged)",
                "parameters": [as_of],
                "responses": {"200": _ok({"type": "object", "required": ["version", "hosts", "paths", "outlets"]}),
                              "304": {"description": "not modified"}, "400": _err("bad date")},
            }},
            "/api/labels": {"get": {"summary": "The label vocabulary", "responses": {"200": _ok({"type": "object", "required": ["types"]})}}},
            "/api/health": {"get": {"summary": "Version, source list state, counts", "responses": {"200": _ok({"type": "object", "required": ["ok", "version", "sources", "counts"]})}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": _ok({"type": "object"})}}},
            **_EXTRA_PATHS,
        },
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["ok", "status", "error"],
            "properties": {"ok": {"type": "boolean", "enum": [False]}, "status": {"type": "integer"}, "error": {"type": "string"}, "detail": {}},
        }}},
    }
