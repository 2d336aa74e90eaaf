"""Domain errors. Each carries a stable ``code`` that the wire protocol reports verbatim."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command was refused; nothing was applied."""

    code = "invalid_args"
    status = 422
    details: Any = None  # what the wire error carries besides code and message (``details``), if anything

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidArgs(DomainError):
    code = "invalid_args"


class TextTooLong(DomainError):
    code = "text_too_long"


class InvalidText(DomainError):
    code = "invalid_text"


class UnknownCountry(DomainError):
    code = "unknown_country"


class UnknownSector(DomainError):
    code = "unknown_sector"


class UnknownTimezone(DomainError):
    code = "unknown_timezone"


class UnknownLanguage(DomainError):
    code = "unknown_language"


class UnknownCommand(DomainError):
    code = "unknown_command"
    status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class UnknownCode(DomainError):
    code = "unknown_code"
    status = 404


class UnknownParticipant(DomainError):
    code = "unknown_participant"
    status = 404


class UnknownAgendaItem(DomainError):
    code = "unknown_agenda_item"
    status = 404


class NotJoined(DomainError):
    code = "not_joined"
    status = 409


class WorkshopFull(DomainError):
    code = "workshop_full"
    status = 409


class JoinsLocked(DomainError):
    code = "joins_locked"
    status = 409


class InvalidOrder(DomainError):
    code = "invalid_order"


class ItemNotRunning(DomainError):
    code = "item_not_running"
    status = 409


class TokenInUse(DomainError):
    code = "token_in_use"
    status = 409


class Unavailable(DomainError):
    """The store could not commit. Retryable with the same command id."""

    code = "unavailable"
    status = 503


class NotConfirmed(DomainError):
    """A destructive command without the confirmation it asks for (deleting a workshop: its join code)."""

    code = "not_confirmed"
