"""What a poll may ask and what a ballot may answer: question definitions and answer validation, per kind.

Pure validation, like domain/values.py: untrusted values in, clean values (or a stable error) out. Questions
are stored in events as plain dicts (``Question.to_dict``); answers as plain values keyed by question id:

    single    "o2"                         one option id
    multiple  ["o1", "o3"]                 1..max_choices distinct option ids, stored in option order
    scale     4                            an integer on the scale (1-5 or 0-10)
    ranking   ["o3", "o1"]                 1..n distinct option ids, best first (a partial ranking is allowed)
    text      "More breaks"                1..TEXT_ANSWER_MAX characters (line breaks allowed); the question's
                                           ``cloud`` says how its word cloud counts: whole answers ("phrases", the
                                           default) or single "words"
    dots      {"o1": 2, "o4": 1}           item id -> dots; 1..dots in all, at most max_per_item on one item
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain import values
from domain.errors import InvalidArgs
from domain.poll_errors import EmptyBallot, InvalidChoice, TooManyChoices, TooManyDots, UnknownQuestion

KINDS = ("single", "multiple", "scale", "ranking", "text", "dots")
POLL_KINDS = (*KINDS, "survey")
SCALES = {"1-5": (1, 5), "0-10": (0, 10)}
CLOUDS = ("phrases", "words")
WITH_OPTIONS = ("single", "multiple", "ranking", "dots")

PROMPT_MAX = 300
LABEL_MAX = 200
SOURCE_MAX = 200
OPTIONS_MAX = 200
QUESTIONS_MAX = 30
TEXT_ANSWER_MAX = 500
DOTS_MAX = 100

_OPTION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_TEXT_QUESTION_KEYS = {"kind", "prompt"}
_KEYS = {
    "single": {"options"},
    "multiple": {"options", "max_choices"},
    "ranking": {"options"},
    "scale": {"scale", "low_label", "high_label"},
    "text": {"cloud"},
    "dots": {"options", "dots", "max_per_item"},
}


@dataclass(frozen=True)
class Option:
    """A choice, a ranked option or a dot-voting item; ``source`` may reference something outside the poll
    (such as ``group:<id>/contribution:<id>``)."""

    id: str
    label: str
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "source": self.source}


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    prompt: str = ""
    options: tuple[Option, ...] = ()
    max_choices: int = 0  # multiple
    scale: str = ""  # scale: "1-5" | "0-10"
    low_label: str = ""
    high_label: str = ""
    dots: int = 0  # dots: per participant
    max_per_item: int = 0
    # text: what the word cloud counts. A question stored before the setting existed counted single words: it keeps
    # them, so its replay and minutes stay as they were; a new question defaults to whole answers (parse_question).
    cloud: str = "words"
    # words mode counted emoji only once the setting existed: a question stored without it keeps dropping them, so
    # an old workshop's replay and minutes show the very cloud they showed (never stored: read from the absence)
    emoji_words: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The stored (and viewed) form: only the fields this kind uses."""
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "prompt": self.prompt}
        if self.kind in WITH_OPTIONS:
            d["options"] = [o.to_dict() for o in self.options]
        if self.kind == "multiple":
            d["max_choices"] = self.max_choices
        if self.kind == "scale":
            d.update(scale=self.scale, low_label=self.low_label, high_label=self.high_label)
        if self.kind == "dots":
            d.update(dots=self.dots, max_per_item=self.max_per_item)
        if self.kind == "text":
            d["cloud"] = self.cloud
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Question:
        options = tuple(Option(o["id"], o["label"], o.get("source", "")) for o in d.get("options", ()))
        return cls(
            d["id"],
            d["kind"],
            d.get("prompt", ""),
            options,
            d.get("max_choices", 0),
            d.get("scale", ""),
            d.get("low_label", ""),
            d.get("high_label", ""),
            d.get("dots", 0),
            d.get("max_per_item", 0),
            d.get("cloud", "words"),
            "cloud" in d,
        )

    @property
    def bounds(self) -> tuple[int, int]:
        return SCALES[self.scale]

    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]


def _count(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgs(f"'{key}' must be a whole number from {low} to {high}")
    return value


def _options(value: Any) -> tuple[Option, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise InvalidArgs("'options' must be a non-empty list")
    if len(value) > OPTIONS_MAX:
        raise InvalidArgs(f"at most {OPTIONS_MAX} options")
    options: list[Option] = []
    for i, raw in enumerate(value, 1):
        if not isinstance(raw, str | dict):
            raise InvalidArgs("an option must be a label or an object with 'label' (and 'id', 'source')")
        spec: Mapping[str, Any] = {"label": raw} if isinstance(raw, str) else raw
        values.check_keys(spec, {"id", "label", "source"})
        option_id = spec.get("id", f"o{i}")
        if not isinstance(option_id, str) or not _OPTION_ID.match(option_id):
            raise InvalidArgs("an option id must be 1-64 characters: letters, digits, _ . : -")
        label = values.text(spec, "label", LABEL_MAX)
        options.append(Option(option_id, label, values.text(spec, "source", SOURCE_MAX, required=False)))
    if len({o.id for o in options}) != len(options):
        raise InvalidArgs("option ids must be unique within a question")
    return tuple(options)


def parse_question(index: int, kind: str, spec: Any) -> Question:
    """A validated question; ``kind`` is the poll's kind, or "survey" (each question then names its own)."""
    if not isinstance(spec, dict):
        raise InvalidArgs("a question must be an object")
    q_kind = spec.get("kind", kind)
    if q_kind not in KINDS or (kind != "survey" and q_kind != kind):
        raise InvalidArgs(f"a question's kind must be one of {', '.join(KINDS)} (and match the poll's)")
    values.check_keys(spec, _TEXT_QUESTION_KEYS | _KEYS[q_kind])
    prompt = values.text(spec, "prompt", PROMPT_MAX, required=False)
    q: dict[str, Any] = {"id": f"q{index}", "kind": q_kind, "prompt": prompt}
    if q_kind in WITH_OPTIONS:
        options = _options(spec.get("options"))
        q["options"] = [o.to_dict() for o in options]
        if q_kind in ("single", "multiple") and len(options) < 2:
            raise InvalidArgs("a choice question needs at least 2 options")
    if q_kind == "multiple":
        q["max_choices"] = _count(spec.get("max_choices", len(options)), "max_choices", 1, len(options))
    if q_kind == "scale":
        q["scale"] = values.choice({"scale": spec.get("scale", "1-5")}, "scale", tuple(SCALES))
        q["low_label"] = values.text(spec, "low_label", LABEL_MAX, required=False)
        q["high_label"] = values.text(spec, "high_label", LABEL_MAX, required=False)
    if q_kind == "text":
        q["cloud"] = values.choice({"cloud": spec.get("cloud", "phrases")}, "cloud", CLOUDS)
    if q_kind == "dots":
        q["dots"] = _count(spec.get("dots"), "dots", 1, DOTS_MAX)
        q["max_per_item"] = _count(spec.get("max_per_item", q["dots"]), "max_per_item", 1, q["dots"])
    return Question.from_dict(q)


def parse_questions(kind: str, value: Any) -> tuple[Question, ...]:
    """A poll's questions: exactly one for a single-kind poll, 1..QUESTIONS_MAX for a survey."""
    if kind not in POLL_KINDS:
        raise InvalidArgs(f"'kind' must be one of {', '.join(POLL_KINDS)}")
    if not isinstance(value, list | tuple) or not value:
        raise InvalidArgs("'questions' must be a non-empty list")
    most = QUESTIONS_MAX if kind == "survey" else 1
    if len(value) > most:
        raise InvalidArgs(f"a {kind} poll has at most {most} question(s)")
    return tuple(parse_question(i, kind, spec) for i, spec in enumerate(value, 1))


def answer_text(value: Any) -> str:
    """An open answer: NFC, trimmed, line breaks allowed; each line cleaned like any text (domain/text.py)."""
    if not isinstance(value, str):
        raise InvalidArgs("a text answer must be a string")
    return values.multiline({"answer": value}, "answer", TEXT_ANSWER_MAX)


def _ids(q: Question, value: Any, most: int) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgs(f"the answer to {q.id} must be a list of option ids")
    if not value:
        raise InvalidChoice(f"choose at least one option in {q.id}")
    if len(set(value)) != len(value) or not set(value) <= set(q.option_ids()):
        raise InvalidChoice(f"the answer to {q.id} names an unknown option, or one option twice")
    if len(value) > most:
        raise TooManyChoices(f"choose at most {most} option(s) in {q.id}")
    return list(value)


def _dots(q: Question, value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InvalidArgs(f"the answer to {q.id} must map item ids to dots")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value.values()):
        raise InvalidArgs(f"dots in {q.id} must be whole numbers, 0 or more")
    placed: dict[str, int] = dict(value)
    if not set(placed) <= set(q.option_ids()):
        raise InvalidChoice(f"the answer to {q.id} names an unknown item")
    if any(n > q.max_per_item for n in placed.values()):
        raise TooManyDots(f"at most {q.max_per_item} dot(s) on one item in {q.id}")
    if sum(placed.values()) > q.dots:
        raise TooManyDots(f"at most {q.dots} dot(s) in all in {q.id}")
    if not any(placed.values()):
        raise InvalidChoice(f"place at least one dot in {q.id}")
    return {i: placed[i] for i in q.option_ids() if placed.get(i)}


def check_answer(q: Question, value: Any) -> Any:
    """The clean, canonical form of one answer to ``q``."""
    if q.kind == "single":
        if not isinstance(value, str) or value not in q.option_ids():
            raise InvalidChoice(f"the answer to {q.id} must be one of its option ids")
        return value
    if q.kind == "multiple":
        chosen = set(_ids(q, value, q.max_choices))
        return [i for i in q.option_ids() if i in chosen]
    if q.kind == "ranking":
        return _ids(q, value, len(q.options))
    if q.kind == "scale":
        low, high = q.bounds
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidChoice(f"the answer to {q.id} must be a whole number from {low} to {high}")
        return value
    if q.kind == "dots":
        return _dots(q, value)
    return answer_text(value)


def parse_answers(questions: tuple[Question, ...], args: Mapping[str, Any]) -> dict[str, Any]:
    """A ballot's answers keyed by question id, from ``answers`` (any non-empty subset of the questions) or,
    for a poll of one question, ``answer``."""
    if "answer" in args:
        if "answers" in args or len(questions) != 1:
            raise InvalidArgs("give 'answers' (by question id), or 'answer' for a poll of one question")
        raw: Any = {questions[0].id: args["answer"]}
    else:
        raw = args.get("answers")
    if not isinstance(raw, dict):
        raise InvalidArgs("'answers' must map question ids to answers")
    if not raw:
        raise EmptyBallot("a ballot must answer at least one question")
    by_id = {q.id: q for q in questions}
    unknown = [k for k in raw if k not in by_id]
    if unknown:
        raise UnknownQuestion(f"no question {str(unknown[0])[:64]!r} in this poll")
    return {q.id: check_answer(q, raw[q.id]) for q in questions if q.id in raw}
