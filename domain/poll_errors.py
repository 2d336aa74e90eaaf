"""Errors of poll commands, each with a stable ``code`` (to move into domain/errors.py and protocol.md)."""

from __future__ import annotations

from domain.errors import DomainError


class UnknownPoll(DomainError):
    code = "unknown_poll"
    status = 404


class PollNotDraft(DomainError):
    code = "poll_not_draft"
    status = 409


class PollNotOpen(DomainError):
    code = "poll_not_open"
    status = 409


class PollClosed(DomainError):
    code = "poll_closed"
    status = 409


class SecretPollClosed(DomainError):
    """A closed secret poll cannot be reopened: its key (that recognises a voter's tag) is gone."""

    code = "secret_poll_closed"
    status = 409


class NotInScope(DomainError):
    code = "not_in_scope"
    status = 403


class PollKeyMissing(DomainError):
    """An open secret poll lost its key (kept outside the store): it cannot take ballots any more."""

    code = "poll_key_missing"
    status = 409


class InvalidChoice(DomainError):
    code = "invalid_choice"


class TooManyChoices(DomainError):
    code = "too_many_choices"


class TooManyDots(DomainError):
    code = "too_many_dots"


class UnknownQuestion(DomainError):
    code = "unknown_question"


class EmptyBallot(DomainError):
    code = "empty_ballot"
