"""Validation of group-work arguments, like domain/values.py: untrusted values in, clean values (or a stable
error) out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain import values
from domain.errors import InvalidArgs
from domain.group_errors import InvalidCategory, UnknownCategory
from domain.planning.groups import BY, STRATEGIES

BY_FIELDS = ("country", "sector", "organisation", "role", "language")  # profile fields a split can group by
VISIBILITIES = ("own", "all")  # which answer sheets a group's members see
COUNT_MAX = 500  # groups in a split, people in a group
SEED_MAX = 2**32 - 1
TABLE_MAX = 999
GROUP_NAME_MAX = 80
PROMPT_MAX = 300
QUESTIONS_MAX = 30
CATEGORY_MAX = 80
CATEGORIES_MAX = 30
CONTRIBUTION_MAX = 2000
CONTRIBUTIONS_MAX = 1000  # per sheet, removed ones included


def strategy(args: Mapping[str, Any]) -> str:
    value = args.get("strategy")
    if value in STRATEGIES:
        return str(value)
    if isinstance(value, str) and value.startswith(BY) and value[len(BY) :] in BY_FIELDS:
        return value
    raise InvalidArgs(f"'strategy' must be {', '.join(STRATEGIES)} or by:FIELD ({', '.join(BY_FIELDS)})")


def count(args: Mapping[str, Any], key: str, most: int = COUNT_MAX, *, zero: bool = False) -> int:
    """A whole number from 1 to ``most``; absent or null is 0 (``zero`` also allows 0 itself)."""
    value = args.get(key)
    if value is None or (zero and value == 0 and not isinstance(value, bool)):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise InvalidArgs(f"'{key}' must be a whole number from 1 to {most}")
    return value


def seed(args: Mapping[str, Any]) -> int | None:
    value = args.get("seed")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_MAX:
        raise InvalidArgs(f"'seed' must be a whole number from 0 to {SEED_MAX}")
    return value


def flag(args: Mapping[str, Any], key: str, default: bool) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise InvalidArgs(f"'{key}' must be true or false")
    return value


def uuid(args: Mapping[str, Any], key: str) -> UUID:
    try:
        return UUID(values.identifier(args, key))
    except ValueError:
        raise InvalidArgs(f"'{key}' must be an id") from None


def questions(value: Any) -> tuple[dict[str, Any], ...]:
    """1..QUESTIONS_MAX questions, each a prompt or ``{"prompt", "time_box_min"}``; ids q1, q2, ... in order."""
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= QUESTIONS_MAX:
        raise InvalidArgs(f"'questions' must be a list of 1 to {QUESTIONS_MAX} questions")
    out = []
    for i, spec in enumerate(value, 1):
        spec = {"prompt": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, Mapping):
            raise InvalidArgs("a question is a prompt or an object with 'prompt' and 'time_box_min'")
        values.check_keys(spec, {"prompt", "time_box_min"})
        prompt = values.text(spec, "prompt", PROMPT_MAX)
        out.append({"id": f"q{i}", "prompt": prompt, "time_box_min": values.minutes(spec, "time_box_min")})
    return tuple(out)


def categories(value: Any) -> tuple[str, ...]:
    """The tags the facilitator offers (offer / demand, themes ...): distinct ignoring case, in order."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or len(value) > CATEGORIES_MAX:
        raise InvalidArgs(f"'categories' must be a list of at most {CATEGORIES_MAX} texts")
    out: list[str] = []
    for item in value:
        one = values.text({"category": item}, "category", CATEGORY_MAX)
        if ";" in one:  # answers.csv joins an answer's tags with "; ": a category must not hold it
            raise InvalidCategory(f"a category cannot contain ';' (separate categories instead): {one!r}")
        if one.casefold() not in {c.casefold() for c in out}:
            out.append(one)
    return tuple(out)


def tags(value: Any, offered: tuple[str, ...]) -> tuple[str, ...]:
    """A contribution's tags: some of the offered categories, stored in the offered order."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise InvalidArgs("'tags' must be a list of categories")
    named = {values.match_choice(t, offered) for t in value}
    unknown = sorted(t for t in value if values.match_choice(t, offered) is None)
    if unknown:
        raise UnknownCategory(f"{unknown[0][:40]!r} is not one of this question set's categories")
    return tuple(c for c in offered if c in named)


def contribution_text(args: Mapping[str, Any]) -> str:
    """NFC, trimmed, line breaks allowed; each line cleaned like any text (domain/text.py)."""
    return values.multiline(args, "text", CONTRIBUTION_MAX)
