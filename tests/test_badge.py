"""The toolbar badge says the strongest fact: the badge word for combinations of labels in force, as a table
(docs/LABELS.md, "The toolbar badge", gives the order and why)."""

from __future__ import annotations

import pytest

from masthead.registry.control import badge_word
from masthead.registry.vocabulary import BADGE_KINDS, LABEL_TYPES


def badge(types: list[str]) -> str | None:
    """The word the badge shows for an outlet with these labels in force: the rule outlet cards use."""
    return badge_word([{"type": t} for t in types])


@pytest.mark.parametrize(("labels", "word", "kind"), [
    # Sputnik, RT: state-controlled, banned in the EU, sanctioned by several governments
    (["state-controlled", "broadcast-ban", "sanctioned", "sanctioned", "platform-restricted"], "STATE", "control"),
    (["captured-public", "licence-revoked"], "STATE", "control"),
    (["foreign-mission", "sanctioned"], "STATE", "control"),
    (["broadcast-ban", "sanctioned"], "BAN", "restriction"),
    (["sanctioned", "undesirable-organisation"], "SANC", "restriction"),
    # Meduza, Dozhd: designated by the state they report on
    (["undesirable-organisation", "foreign-agent"], "UNDES", "designation"),
    (["extremist", "foreign-agent", "blocked"], "EXTR", "designation"),
    (["foreign-agent", "blocked"], "AGENT", "designation"),
    (["blocked", "fara-registrant"], "BLOCK", "restriction"),
    (["fara-registrant", "platform-state-affiliated"], "FARA", "designation"),
    (["platform-restricted", "platform-government-funded"], "BAN", "restriction"),
    (["platform-state-affiliated", "state-funded"], "STATE", "control"),
    # BBC, Deutsche Welle: public money, independent by statute
    (["public-service-media", "platform-publicly-funded"], "PUB", "control"),
    (["state-funded"], "FUND", "control"),
    ([], None, None),
])
def test_badge_word_for_labels_in_force(labels, word, kind):
    found = badge(labels)
    assert found == word
    assert (BADGE_KINDS[found] if found else None) == kind


def test_state_control_outranks_every_restriction_and_designation():
    control = min(t.rank for t in LABEL_TYPES.values() if t.group == "state-controlled")
    others = max(t.rank for t in LABEL_TYPES.values() if t.kind in ("restriction", "designation") and t.badge != "STATE")
    assert control > others


def test_every_badge_word_fits_and_has_a_kind():
    for label_type in LABEL_TYPES.values():
        assert len(label_type.badge) <= 5 and label_type.badge in BADGE_KINDS, label_type
