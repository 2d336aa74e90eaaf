"""The polls of `tavolo simulate --scenario poll`: one of each kind, plausible seeded answers, and the tally
they must produce (see `server/simulate_poll.py`)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

KINDS = ("single", "multiple", "scale", "ranking", "dots", "text")
_AREAS = ["Shared testing facilities", "Joint Horizon Europe proposals", "Skills and talent exchange",
          "Export to new markets", "Digital twins for SMEs", "Circular supply chains"]  # fmt: skip
_WEIGHTS = [34, 24, 18, 12, 8, 4]  # a room has favourites
_PROPOSALS = [
    ("g1:c1", "A shared pilot line for bio-based packaging", "group:g1/contribution:c1"),
    ("g1:c2", "Staff exchanges between clusters", "group:g1/contribution:c2"),
    ("g2:c1", "One data space for regional SMEs", "group:g2/contribution:c1"),
    ("g2:c2", "Joint stand at Hannover Messe", "group:g2/contribution:c2"),
    ("g3:c1", "Cross-border voucher scheme", "group:g3/contribution:c1"),
    ("g3:c2", "Mentoring for first-time applicants", "group:g3/contribution:c2"),
]  # fmt: skip
_PHRASES = {
    "en": ["Great networking", "More time for matchmaking", "Useful contacts", "Inspiring pitches",
           "Too many slides", "Concrete next steps", "Excellent organisation", "More breaks, please",
           "Networking, networking, networking", "Energy transition partners found"],
    "it": ["Ottima organizzazione", "Più tempo per il networking", "Contatti utili", "Collaborazione concreta",
           "Pitch stimolanti", "Troppe slide", "Grazie per l'accoglienza", "Più pause caffè"],
}  # fmt: skip
POLLS: dict[str, dict[str, Any]] = {
    "single": {"title": "Which collaboration area should we pursue first?", "questions": [{"options": _AREAS}]},
    "multiple": {"title": "Which areas interest your organisation? (up to 3)",
                 "questions": [{"options": _AREAS, "max_choices": 3}]},
    "scale": {"title": "How likely are you to recommend this workshop to a colleague?",
              "questions": [{"scale": "0-10", "low_label": "Not at all likely", "high_label": "Extremely likely"}]},
    "ranking": {"title": "Rank these priorities for next year", "questions": [{"options": _AREAS[:5]}]},
    "dots": {"title": "Put your dots on the groups' proposals",
             "questions": [{"options": [{"id": i, "label": label, "source": source} for i, label, source in _PROPOSALS],
                            "dots": 5, "max_per_item": 3}]},
    "text": {"title": "Today in a few words", "questions": [{"prompt": "One word or a short phrase"}]},
}  # fmt: skip


def make_answer(kind: str, rng: random.Random, language: str = "en") -> Any:
    """A plausible answer to the poll of `kind` in POLLS (weighted: some options are more popular)."""
    ids = [f"o{k}" for k in range(1, len(_AREAS) + 1)]
    if kind == "single":
        return rng.choices(ids, _WEIGHTS)[0]
    if kind == "multiple":
        return _weighted_sample(rng, ids, _WEIGHTS, rng.choice([1, 2, 2, 3, 3]))
    if kind == "ranking":
        return _weighted_sample(rng, ids[:5], _WEIGHTS[:5], rng.choice([3, 5, 5]))
    if kind == "scale":
        return rng.choices(range(11), [1, 1, 1, 2, 2, 4, 6, 14, 22, 25, 22])[0]
    if kind == "dots":
        items, dots, placed = [p[0] for p in _PROPOSALS], rng.choice([3, 4, 5, 5, 5]), Counter[str]()
        while sum(placed.values()) < dots:
            item = rng.choices(items, _WEIGHTS)[0]
            if placed[item] < 3:
                placed[item] += 1
        return dict(placed)
    phrases = _PHRASES["it" if language == "it" else "en"]
    return rng.choices(phrases, [len(phrases) - k for k in range(len(phrases))])[0]


def _weighted_sample(rng: random.Random, ids: list[str], weights: list[int], k: int) -> list[str]:
    pool, chosen = dict(zip(ids, weights, strict=True)), []
    for _ in range(k):
        pick = rng.choices(list(pool), list(pool.values()))[0]
        chosen.append(pick)
        del pool[pick]
    return chosen


def expected_results(kind: str, answers: list[Any]) -> dict[str, Any]:
    """What the tally must show for these final answers (one per voter), in the terms of `docs/polls.md`."""
    if kind in ("single", "multiple"):
        counts = Counter(o for a in answers for o in ([a] if isinstance(a, str) else a))
        return {o: counts[o] for o in (f"o{k}" for k in range(1, len(_AREAS) + 1))}
    if kind == "ranking":
        points: Counter[str] = Counter()
        for a in answers:
            for place, option in enumerate(a):
                points[option] += 5 - 1 - place
        return {f"o{k}": points[f"o{k}"] for k in range(1, 6)}
    if kind == "scale":
        return {v: c for v, c in sorted(Counter(answers).items())}
    if kind == "dots":
        dots: Counter[str] = Counter()
        for a in answers:
            dots.update(a)
        return {i: dots[i] for i, _, _ in _PROPOSALS}
    return dict(sorted(Counter(answers).items()))


def shown_results(kind: str, question: dict[str, Any]) -> dict[str, Any]:
    """The same figures read from a question's results in a view."""
    if kind in ("single", "multiple"):
        return {o["id"]: o["count"] for o in question["options"]}
    if kind == "ranking":
        return {o["id"]: o["points"] for o in question["options"]}
    if kind == "scale":
        return {d["value"]: d["count"] for d in question["distribution"] if d["count"]}
    if kind == "dots":
        return {i["id"]: i["dots"] for i in question["items"]}
    return dict(sorted(Counter(question["answers"]).items()))
