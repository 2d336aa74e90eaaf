"""Suggested matches: who complements whom, ranked, each with its reasons. Plain values in, a ranked list out.

Complementarity counts, in this order of weight: what one **seeks** found in what the other **offers** (either
way; words compared after folding case and accents, without common words), shared sectors, a target market that
is the other's country, and adjacent value-chain positions (a producer and a distributor). People from the same
organisation are never suggested to each other. The same inputs give the same list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

# Words too common in offers and requests to mean anything (English and Italian).
_STOP_WORDS = """a an and are as at be by for from in into is it of on or our the to we with you your
    our us they them their
    this that these those can will who what which new more also all any other such per via
    il lo la i gli le un una uno e ed o di da in con su per tra fra che chi cosa nostro nostra nostri nostre noi
    voi loro del della dei delle degli al alla ai alle agli nel nella nei nelle come anche più nuovo nuova
    cerchiamo offriamo looking seek seeking offer offering provide providing partner partners"""
STOP = frozenset(_STOP_WORDS.split())
CHAIN = ("research", "design", "production", "distribution", "services", "end_user")
WEIGHTS = {"seeks_offers": 3.0, "sector": 1.0, "market": 1.0, "value_chain": 0.5}


@dataclass(frozen=True)
class Candidate:
    """A participant as matchmaking sees them."""

    id: str
    organisation: str = ""
    country: str = ""
    sectors: tuple[str, ...] = ()
    offers: str = ""
    seeks: str = ""
    value_chain: str = ""
    markets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    id: str
    score: float
    reasons: list[dict[str, object]] = field(default_factory=list)


def words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return {w for w in re.findall(r"[a-z0-9]{3,}", plain) if w not in STOP}


def _stem(word: str) -> str:
    """A crude stem so that "exports" meets "export" and "logistica" meets "logistic"."""
    for end in ("ing", "es", "s", "i", "e", "a", "o"):
        if word.endswith(end) and len(word) - len(end) >= 4:
            return word[: -len(end)]
    return word


def _stems(text: str) -> dict[str, str]:
    return {_stem(w): w for w in words(text)}


def suggest(me: Candidate, others: Sequence[Candidate], limit: int = 10) -> list[Suggestion]:
    """The ``limit`` best matches for ``me`` among ``others``, best first, each with its reasons."""
    my_seeks, my_offers = _stems(me.seeks), _stems(me.offers)
    mine = {s.casefold() for s in me.sectors}
    org = me.organisation.strip().casefold()
    out: list[Suggestion] = []
    for other in others:
        if other.id == me.id or (org and other.organisation.strip().casefold() == org):
            continue
        reasons: list[dict[str, object]] = []
        score = 0.0
        theirs_offer, theirs_seek = _stems(other.offers), _stems(other.seeks)
        wanted = sorted(theirs_offer[s] for s in my_seeks.keys() & theirs_offer.keys())
        if wanted:
            reasons.append({"kind": "offers_what_you_seek", "words": wanted[:5]})
            score += WEIGHTS["seeks_offers"] * len(wanted)
        given = sorted(my_offers[s] for s in theirs_seek.keys() & my_offers.keys())
        if given:
            reasons.append({"kind": "seeks_what_you_offer", "words": given[:5]})
            score += WEIGHTS["seeks_offers"] * len(given)
        shared = sorted(s for s in other.sectors if s.casefold() in mine)
        if shared:
            reasons.append({"kind": "shared_sector", "values": shared[:3]})
            score += WEIGHTS["sector"] * len(shared)
        if other.country and other.country in me.markets:
            reasons.append({"kind": "in_your_market", "values": [other.country]})
            score += WEIGHTS["market"]
        if me.country and me.country in other.markets:
            reasons.append({"kind": "targets_your_country", "values": [me.country]})
            score += WEIGHTS["market"]
        chain = me.value_chain in CHAIN and other.value_chain in CHAIN
        if chain and abs(CHAIN.index(me.value_chain) - CHAIN.index(other.value_chain)) == 1:
            reasons.append({"kind": "value_chain", "values": [other.value_chain]})
            score += WEIGHTS["value_chain"]
        if score > 0:
            out.append(Suggestion(other.id, round(score, 2), reasons))
    out.sort(key=lambda s: (-s.score, s.id))
    return out[:limit]
