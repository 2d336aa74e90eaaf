"""A poll's text in other languages, written by the facilitator: each phone shows the participant's language where
the facilitator gave it, else the original; the projector shows its main language with a second one below.

``translations`` is ``{lang: {"title": str, "questions": [{"prompt": str, "options": [str, …], "low_label": str,
"high_label": str}, …]}}``: every field optional, the questions and their options in the poll's order (an empty
string, or a missing entry, leaves that text as the facilitator first wrote it). Each text is cleaned and sized as
the original is (domain/poll_kinds.py); a language must be one of the workshop languages (``values.LANGUAGES``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain import errors, values
from domain.poll_kinds import LABEL_MAX, PROMPT_MAX, Question


def _texts(raw: Any, count: int, max_len: int, where: str) -> list[str]:
    if not isinstance(raw, list | tuple) or len(raw) > count:
        raise errors.InvalidArgs(f"'{where}' must be a list of at most {count} texts, in the original's order")
    return [values.text({"text": text}, "text", max_len, required=False) for text in raw]


def _question(raw: Any, question: Question, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise errors.InvalidArgs(f"'{where}' must be an object (prompt, options, low_label, high_label)")
    values.check_keys(raw, {"prompt", "options", "low_label", "high_label"})
    out: dict[str, Any] = {"prompt": values.text(raw, "prompt", PROMPT_MAX, required=False)}
    if "options" in raw:
        out["options"] = _texts(raw["options"], len(question.options), LABEL_MAX, f"{where}.options")
    for key in ("low_label", "high_label"):
        if key in raw:
            out[key] = values.text(raw, key, LABEL_MAX, required=False)
    return out


def parse_translations(raw: Any, questions: Sequence[Question]) -> dict[str, dict[str, Any]]:
    """Validated translations of a poll whose questions are ``questions`` (see the module's docstring)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or len(raw) > len(values.LANGUAGES):
        raise errors.InvalidArgs("'translations' must be an object: {language: {title, questions}}")
    out: dict[str, dict[str, Any]] = {}
    for lang in sorted(raw):
        code = values.language({"language": lang})
        entry = raw[lang]
        if not isinstance(entry, Mapping):
            raise errors.InvalidArgs(f"'translations.{code}' must be an object (title, questions)")
        values.check_keys(entry, {"title", "questions"})
        listed = entry.get("questions") or []
        if not isinstance(listed, list | tuple) or len(listed) > len(questions):
            raise errors.InvalidArgs(f"'translations.{code}.questions' must list at most {len(questions)} questions")
        out[code] = {
            "title": values.text(entry, "title", values.TITLE_MAX, required=False),
            "questions": [
                _question(q, question, f"translations.{code}.questions[{i}]")
                for i, (q, question) in enumerate(zip(listed, questions, strict=False))
            ],
        }
    return out
