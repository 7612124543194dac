"""The controlled vocabularies of sources.yaml: label types, owner kinds, jurisdictions."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LabelType", "LABEL_TYPES", "LABEL_KINDS", "KIND_STYLES", "OWNER_KINDS", "OWNER_KIND_GROUPS", "COUNTRIES", "JURISDICTIONS", "SMM_CODES",
    "CONTROL_MODELS", "CONTROL_MODEL_TITLES", "BADGE_KINDS", "FUNDING_KINDS", "vocabulary_document",
]


@dataclass(frozen=True)
class LabelType:
    type: str
    kind: str  # control | designation | restriction | platform
    title: str
    badge: str  # short text for the toolbar badge (at most 5 characters)
    rank: int  # higher = more significant: the badge shows the word of the highest-ranked label in force
    smm_code: str | None = None
    group: str | None = None  # the control model an active label of this type puts an outlet in (control labels only)

    @property
    def dated_by(self) -> str:
        """'as_of' for an assessment (a rating in an edition of a typology: dated by the edition it rests on),
        'since' for a designation, restriction or platform label (dated by the issuer's own decision; issue 24)."""
        return "as_of" if self.smm_code else "since"

    @property
    def badge_kind(self) -> str:
        """The label kind whose colour the badge word takes (the same word can come from several kinds)."""
        return BADGE_KINDS[self.badge]

    def to_dict(self) -> dict:
        return {**self.__dict__, "badge_kind": self.badge_kind, "dated_by": self.dated_by}


LABEL_KINDS = ("control", "designation", "restriction", "platform")
# Each kind's name and colours: the one source (scripts/make_palette.py writes them into the popup's stylesheet and
# script, the link labels and the server's pages; tests/test_palette.py fails when a copy is out of step). `light` and
# `dark` are the themes' text and chip colours, `*_bg` their tints; `page_dark` is a link label's background on a
# dark page, under near-black text (WCAG AA). "neutral" is any other label.
KIND_STYLES = {
    "control": {"name": "State control", "short": "Control", "light": "#b45309", "light_bg": "#fff7ed",
                "dark": "#fbbf24", "dark_bg": "#3a2a10", "page_dark": "#fcd34d"},
    "designation": {"name": "Legal designation", "short": "Designation", "light": "#7e22ce", "light_bg": "#faf5ff",
                    "dark": "#d8b4fe", "dark_bg": "#2e1a47", "page_dark": "#d8b4fe"},
    "restriction": {"name": "Sanction or ban", "short": "Restriction", "light": "#b91c1c", "light_bg": "#fef2f2",
                    "dark": "#fca5a5", "dark_bg": "#3f1515", "page_dark": "#fca5a5"},
    "platform": {"name": "Platform label", "short": "Platform", "light": "#1d4ed8", "light_bg": "#eff6ff",
                 "dark": "#93c5fd", "dark_bg": "#172a4d", "page_dark": "#93c5fd"},
    "neutral": {"name": "Label", "short": "Label", "light": "#475569", "light_bg": "#f1f5f9",
                "dark": "#cbd5e1", "dark_bg": "#1e293b", "page_dark": "#cbd5e1"},
}

# Keep in step with docs/LABELS.md (a test checks that every type is documented there).
#
# The ranks order the toolbar badge (docs/LABELS.md, "The toolbar badge"; tests/test_badge.py holds the table):
# state control first (STATE: a government runs the newsroom, which is what a reader most needs to know about
# who is speaking, and what a ban or sanction usually answers), then what governments did about the outlet
# (BAN, SANC), legal designations (UNDES, EXTR, AGENT), blocking, registrations and platform labels, and last
# public funding (PUB, FUND), which says least about editorial control.
LABEL_TYPES: dict[str, LabelType] = {
    t.type: t
    for t in [
        LabelType("state-controlled", "control", "State-controlled media", "STATE", 100, "SC", "state-controlled"),
        LabelType("captured-public", "control", "Captured public media", "STATE", 98, "CaPu", "state-controlled"),
        LabelType("captured-private", "control", "Captured private media", "STATE", 96, "CaPr", "state-controlled"),
        LabelType("independent-state-funded-managed", "control", "Independent, state-funded and state-managed", "PUB", 20, "ISFM", "public"),
        LabelType("independent-state-funded", "control", "Independent, state-funded", "PUB", 19, "ISF", "public"),
        LabelType("independent-state-managed", "control", "Independent, state-managed", "PUB", 18, "ISM", "public"),
        LabelType("independent-public", "control", "Independent public media", "PUB", 17, "IP", "public"),
        LabelType("public-service-media", "control", "Public-service media (by statute)", "PUB", 16, group="public"),
        LabelType("state-funded", "control", "State-funded", "FUND", 15),
        LabelType("foreign-agent", "designation", "Designated a foreign agent", "AGENT", 70),
        LabelType("fara-registrant", "designation", "Registered under FARA (US)", "FARA", 50),
        LabelType("foreign-mission", "designation", "Foreign mission (US Foreign Missions Act)", "STATE", 94),
        LabelType("undesirable-organisation", "designation", "Undesirable organisation (Russia)", "UNDES", 75),
        LabelType("extremist", "designation", "Declared extremist", "EXTR", 74),
        LabelType("broadcast-ban", "restriction", "Broadcasting ban", "BAN", 90),
        LabelType("licence-revoked", "restriction", "Broadcast licence revoked", "BAN", 85),
        LabelType("sanctioned", "restriction", "Sanctioned", "SANC", 88),
        LabelType("blocked", "restriction", "Website blocked", "BLOCK", 65),
        LabelType("platform-state-affiliated", "platform", "Platform label: state-affiliated media", "STATE", 40),
        LabelType("platform-government-funded", "platform", "Platform label: government-funded media", "FUND", 30),
        LabelType("platform-publicly-funded", "platform", "Platform label: publicly funded", "PUB", 14),
        LabelType("platform-restricted", "platform", "Removed or restricted by a platform", "BAN", 45),
    ]
}
SMM_CODES = {t.smm_code: t.type for t in LABEL_TYPES.values() if t.smm_code}

OWNER_KINDS = (
    "government", "state-agency", "state-enterprise", "public-corporation", "party", "company",
    "listed-company", "trust", "foundation", "non-profit", "cooperative", "person", "family",
)

# How money reaches an outlet or owner (`funded_by`), apart from who owns it (issue 24): a grantee such as
# RFE/RL, Inc. is owned by its own corporation and funded by a federal grant.
FUNDING_KINDS = (
    "grant", "licence-fee", "state-budget", "state-subsidy", "advertising", "subscriptions", "donations", "owner", "other",
)

# The toolbar badge's words, and the kind whose colour each takes.
BADGE_KINDS = {
    "BAN": "restriction", "SANC": "restriction", "BLOCK": "restriction",
    "AGENT": "designation", "FARA": "designation", "UNDES": "designation", "EXTR": "designation",
    "STATE": "control", "PUB": "control", "FUND": "control",
}

# How the popup groups coverage, in the order it lists them; derived in registry/control.py from control labels
# (each type's `group`) and, when there is none, from the kinds of the owners (OWNER_KIND_GROUPS).
CONTROL_MODEL_TITLES = {
    "state-controlled": ("State-controlled outlets", "State-controlled"),
    "public": ("Public-service outlets", "Public-service"),
    "independent": ("Independent outlets", "Independent"),
    "commercial": ("Commercial outlets", "Commercial"),
    "unknown": ("Outlets of unknown control", "Control unknown"),
}
CONTROL_MODELS = tuple(CONTROL_MODEL_TITLES)

OWNER_KIND_GROUPS: dict[str, str | None] = {
    "government": "state-controlled", "state-agency": "state-controlled", "state-enterprise": "state-controlled",
    "party": "state-controlled", "public-corporation": "public",
    # A trust decides nothing on its own (issue 12, rule 1): a family's holding trust and a trust that secures a
    # paper's independence look alike; the owners between it and the outlet decide (registry/control.py).
    "trust": None, "foundation": "independent", "non-profit": "independent", "cooperative": "independent",
    "company": "commercial", "listed-company": "commercial", "person": "commercial", "family": "commercial",
}

COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG
    EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR
    HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR
    LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG
    NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE
    SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA
    UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW""".split()
)
# Labels may also come from a union, the UN, or a non-governmental issuer (INT).
JURISDICTIONS = COUNTRIES | {"EU", "UN", "INT"}


def vocabulary_document() -> dict:
    """The vocabulary as GET /api/labels serves it: the extension reads its badge colours and groups from here."""
    return {
        "types": [t.to_dict() for t in LABEL_TYPES.values()],
        "kinds": list(LABEL_KINDS),
        "badges": dict(BADGE_KINDS),
        "control_models": [{"id": cid, "title": title, "short": short} for cid, (title, short) in CONTROL_MODEL_TITLES.items()],
        "owner_kinds": dict(OWNER_KIND_GROUPS),
        "funding_kinds": list(FUNDING_KINDS),
    }
