"""Counting one question of a poll, per kind: running totals that a ballot adds to (sign +1) and, when its
voter replaces it, takes away from again (sign -1), so a tally never recounts. docs/polls.md states the rules.

No clock and no I/O; every ordering is total (ties end on option order or on the text), so the same ballots
always give the same results.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any, Protocol

from domain.poll_kinds import Option, Question

WORD_MIN = 3
WORDS_MAX = 100  # words listed for a word cloud

Row = dict[str, Any]  # a CSV row: some of the columns of projections.tallies.COLUMNS

_STOP_WORDS = """
about above after again against all also and any are aren because been before being below between
both but can cannot could couldn did didn does doesn doing don down during each etc few for from
further get got had hadn has hasn have haven having her here hers herself him himself his how into
isn its itself just let more most much must mustn myself nor not now off once one only other our
ours ourselves out over own per same shall shan she should shouldn some such than that the their
theirs them themselves then there these they this those through too under until upon very via was
wasn way were weren what when where which while who whom why will with won would wouldn yes you your
yours yourself yourselves
abbia abbiamo abbiano agli all alla alle allo anche ancora avere aveva avevano avete avuto che chi
coi col come con contro cosa così cui dagli dai dal dall dalla dalle dallo degli dei del dell della
delle dello dentro dopo dove ecco era erano essere fare fra già gli hai hanno invece loro lui mai
meno mentre mia mie miei mio molto negli nei nel nell nella nelle nello noi non nostra nostre nostri
nostro ogni oppure per perché però più poco poi prima proprio qua quale quali qualche quando quanta
quante quanti quanto quella quelle quelli quello quell questa queste questi questo quest sarà sei
sempre senza sia siamo siete sole solo sono sopra sotto stata state stati stato sua sue sugli sui
sul sull sulla sulle sullo suo suoi tra tua tue tuo tuoi tutta tutte tutti tutto una uno vostra
vostre vostri vostro
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[^\W_]+")


def _is_regional(c: str) -> bool:
    return "\U0001f1e6" <= c <= "\U0001f1ff"


def emoji(text: str) -> list[str]:
    """The emoji of a text, each whole: a symbol with its variation selector, skin tone, keycap or zero-width-joined
    parts, and a flag's two regional indicators."""
    found, i, n = [], 0, len(text)
    while i < n:
        if unicodedata.category(text[i]) != "So":
            i += 1
            continue
        j = i + 1
        if _is_regional(text[i]) and j < n and _is_regional(text[j]):
            j += 1
        while j < n:
            if unicodedata.category(text[j]) in ("Mn", "Me", "Sk"):
                j += 1
            elif text[j] == "\u200d" and j + 1 < n and unicodedata.category(text[j + 1]) == "So":
                j += 2
            else:
                break
        found.append(text[i:j])
        i = j
    return found


def words(text: str, with_emoji: bool = True) -> set[str]:
    """The distinct words of an answer for the word cloud in word mode: case-folded, split at anything that is not
    a letter or digit, at least WORD_MIN characters, neither a number nor an English or Italian stop word; and its
    emoji, each a word of its own (``with_emoji``: not for a question stored before the cloud setting)."""
    folded = unicodedata.normalize("NFC", text.casefold())
    found = _WORD.findall(folded)
    kept = {w for w in found if len(w) >= WORD_MIN and not w.isdigit() and w not in STOP_WORDS}
    return kept | set(emoji(folded)) if with_emoji else kept


def _edge(c: str) -> bool:
    """Punctuation, spaces and control characters: what is trimmed from both ends of a phrase."""
    return unicodedata.category(c)[0] in "PZC"


def phrase(text: str) -> tuple[str, str]:
    """An answer as one phrase of the word cloud: (the key it is counted under, the answer as shown). Both are
    trimmed of surrounding punctuation and spaces, with runs of spaces and line breaks made one space; the key is
    also NFKC-normalised, case-folded and stripped of accents, so "Best practices!" and "best pràctices" count
    together. Emoji stay (a variation selector is dropped from the key only). ("", "") if nothing is left."""
    shown = " ".join(unicodedata.normalize("NFC", text).split())
    start, end = 0, len(shown)
    while start < end and _edge(shown[start]):
        start += 1
    while end > start and _edge(shown[end - 1]):
        end -= 1
    shown = shown[start:end]
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", shown).casefold())
    key = unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
    return " ".join(key.split()), shown


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _option(o: Option) -> dict[str, str]:
    return {"id": o.id, "label": o.label, "source": o.source}


def _top(counts: dict[str, int]) -> list[str]:
    best = max(counts.values(), default=0)
    return [k for k, n in counts.items() if n == best] if best > 0 else []


class Count(Protocol):
    respondents: int

    def add(self, answer: Any, sign: int) -> None: ...

    def result(self, max_answers: int) -> dict[str, Any]: ...

    def rows(self) -> list[Row]: ...


class ChoiceCount:
    """Single and multiple choice: how many respondents chose each option (a share of the respondents)."""

    def __init__(self, q: Question) -> None:
        self.q, self.respondents = q, 0
        self.counts = dict.fromkeys(q.option_ids(), 0)

    def add(self, answer: Any, sign: int) -> None:
        for option_id in [answer] if isinstance(answer, str) else answer:
            if option_id in self.counts:
                self.counts[option_id] += sign
        self.respondents += sign

    def result(self, max_answers: int) -> dict[str, Any]:
        n = self.counts
        options = [
            {**_option(o), "count": n[o.id], "percent": percent(n[o.id], self.respondents)} for o in self.q.options
        ]
        return {"options": options, "top": _top(self.counts)}

    def rows(self) -> list[Row]:
        return [
            {
                "row": "option",
                "item_id": o["id"],
                "item": o["label"],
                "source": o["source"],
                "count": o["count"],
                "percent": o["percent"],
            }
            for o in self.result(0)["options"]
        ]


class ScaleCount:
    """A rating scale: the distribution, mean, median and, on 0-10, the Net Promoter Score."""

    def __init__(self, q: Question) -> None:
        self.q, self.respondents, self.total = q, 0, 0
        low, high = q.bounds
        self.dist = dict.fromkeys(range(low, high + 1), 0)

    def add(self, answer: Any, sign: int) -> None:
        if answer in self.dist:
            self.dist[answer] += sign
            self.respondents += sign
            self.total += sign * answer

    def _nth(self, k: int) -> int:
        seen = 0
        for value, n in self.dist.items():
            seen += n
            if seen > k:
                return value
        raise IndexError(k)

    def summary(self) -> dict[str, Any]:
        n = self.respondents
        summary: dict[str, Any] = {
            "mean": round(self.total / n, 2) if n else None,
            "median": (self._nth((n - 1) // 2) + self._nth(n // 2)) / 2 if n else None,
        }
        if self.q.scale == "0-10":
            promoters = self.dist[9] + self.dist[10]
            detractors = sum(self.dist[v] for v in range(7))
            summary["nps"] = {
                "score": percent(promoters - detractors, n) if n else None,
                "promoters": promoters,
                "passives": self.dist[7] + self.dist[8],
                "detractors": detractors,
            }
        return summary

    def result(self, max_answers: int) -> dict[str, Any]:
        n = self.respondents
        dist = [{"value": v, "count": c, "percent": percent(c, n)} for v, c in self.dist.items()]
        return {"distribution": dist, **self.summary()}

    def rows(self) -> list[Row]:
        return [
            {
                "row": "value",
                "item_id": str(d["value"]),
                "item": str(d["value"]),
                "count": d["count"],
                "percent": d["percent"],
            }
            for d in self.result(0)["distribution"]
        ]


class RankingCount:
    """Borda count: with n options, first place scores n-1 points, second n-2 ... last 0; options a
    partial ranking leaves out score 0. Order: more points, then more first places, then option order."""

    def __init__(self, q: Question) -> None:
        self.q, self.respondents = q, 0
        self.points = dict.fromkeys(q.option_ids(), 0)
        self.firsts = dict.fromkeys(q.option_ids(), 0)

    def add(self, answer: Any, sign: int) -> None:
        n = len(self.q.options)
        for place, option_id in enumerate(answer):
            if option_id in self.points:
                self.points[option_id] += sign * (n - 1 - place)
                self.firsts[option_id] += sign * (place == 0)
        self.respondents += sign

    def result(self, max_answers: int) -> dict[str, Any]:
        p, f = self.points, self.firsts
        order = sorted(enumerate(self.q.options), key=lambda io: (-p[io[1].id], -f[io[1].id], io[0]))
        keys = Counter((self.points[o.id], self.firsts[o.id]) for o in self.q.options)
        options = [
            {
                **_option(o),
                "points": self.points[o.id],
                "first_places": self.firsts[o.id],
                "rank": rank,
                "tie": keys[(self.points[o.id], self.firsts[o.id])] > 1,
            }
            for rank, (_, o) in enumerate(order, 1)
        ]
        return {"options": options, "order": [o["id"] for o in options]}

    def rows(self) -> list[Row]:
        return [
            {
                "row": "option",
                "item_id": o["id"],
                "item": o["label"],
                "source": o["source"],
                "points": o["points"],
                "first_places": o["first_places"],
                "rank": o["rank"],
            }
            for o in self.result(0)["options"]
        ]


class TextCount:
    """Open text: the answers (in alphabetical order: the order of arrival could tell who wrote what) and the word
    cloud: how many answers give each phrase (the question's ``cloud`` is "phrases": whole answers, normalised by
    ``phrase`` and shown in their most common spelling) or use each word ("words", see ``words``)."""

    def __init__(self, q: Question) -> None:
        self.q, self.respondents = q, 0
        self.answers: Counter[str] = Counter()
        self.words: Counter[str] = Counter()  # word, or phrase key -> answers
        self.spellings: dict[str, Counter[str]] = {}  # phrase key -> how its answers were written

    def add(self, answer: Any, sign: int) -> None:
        self.answers[answer] += sign
        if self.q.cloud == "phrases":
            key, shown = phrase(answer)
            if key:
                self.words[key] += sign
                self.spellings.setdefault(key, Counter())[shown] += sign
        else:
            self.words.update(dict.fromkeys(words(answer, self.q.emoji_words), sign))
        self.respondents += sign

    def _answers(self) -> list[str]:
        ordered = sorted((+self.answers).items(), key=lambda an: (an[0].casefold(), an[0]))
        return [a for a, n in ordered for _ in range(n)]

    def _shown(self, key: str) -> str:
        if self.q.cloud != "phrases":
            return key
        return min((+self.spellings[key]).items(), key=lambda sn: (-sn[1], sn[0]))[0]  # most common, then first

    def _words(self, limit: int) -> list[list[Any]]:
        ranked = sorted((+self.words).items(), key=lambda wn: (-wn[1], wn[0]))[:limit]
        return [[self._shown(w), n] for w, n in ranked]

    def result(self, max_answers: int) -> dict[str, Any]:
        return {"answers": self._answers()[:max_answers], "words": self._words(WORDS_MAX), "cloud": self.q.cloud}

    def rows(self) -> list[Row]:
        row = "phrase" if self.q.cloud == "phrases" else "word"
        rows: list[Row] = [{"row": row, "item": w, "count": n} for w, n in self._words(len(self.words))]
        rows += [
            {"row": "answer", "item": a, "count": n}
            for a, n in sorted((+self.answers).items(), key=lambda an: (an[0].casefold(), an[0]))
        ]
        return rows


class DotsCount:
    """Dot voting: dots per item (a share of all dots placed) and how many voters put dots on it."""

    def __init__(self, q: Question) -> None:
        self.q, self.respondents, self.total = q, 0, 0
        self.dots = dict.fromkeys(q.option_ids(), 0)
        self.voters = dict.fromkeys(q.option_ids(), 0)

    def add(self, answer: Any, sign: int) -> None:
        for item_id, n in answer.items():
            if item_id in self.dots:
                self.dots[item_id] += sign * n
                self.voters[item_id] += sign
                self.total += sign * n
        self.respondents += sign

    def result(self, max_answers: int) -> dict[str, Any]:
        items = [
            {
                **_option(o),
                "dots": self.dots[o.id],
                "percent": percent(self.dots[o.id], self.total),
                "voters": self.voters[o.id],
            }
            for o in self.q.options
        ]
        return {"items": items, "top": _top(self.dots), "dots_total": self.total}

    def rows(self) -> list[Row]:
        return [
            {
                "row": "option",
                "item_id": i["id"],
                "item": i["label"],
                "source": i["source"],
                "count": i["dots"],
                "percent": i["percent"],
            }
            for i in self.result(0)["items"]
        ]


COUNTS: dict[str, type[ChoiceCount | ScaleCount | RankingCount | TextCount | DotsCount]] = {
    "single": ChoiceCount,
    "multiple": ChoiceCount,
    "scale": ScaleCount,
    "ranking": RankingCount,
    "text": TextCount,
    "dots": DotsCount,
}


def count_for(q: Question) -> Count:
    return COUNTS[q.kind](q)
