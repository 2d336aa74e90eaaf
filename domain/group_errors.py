"""Errors of group-work commands, each with a stable ``code`` (to list in protocol.md beside the others)."""

from __future__ import annotations

from typing import Any

from domain.errors import DomainError


class UnknownSplit(DomainError):
    code = "unknown_split"
    status = 404


class UnknownGroup(DomainError):
    code = "unknown_group"
    status = 404


class UnknownQuestionSet(DomainError):
    code = "unknown_question_set"
    status = 404


class UnknownContribution(DomainError):
    code = "unknown_contribution"
    status = 404


class NotAMember(DomainError):
    """A participant acted on a group (its sheet, name or rapporteur) that is not their own."""

    code = "not_a_member"
    status = 403


class NotRapporteur(DomainError):
    """Only the group's rapporteur (or the facilitator) marks its answers final, once it has one."""

    code = "not_rapporteur"
    status = 403


class SplitSuperseded(DomainError):
    """A newer split replaced this one: it stays in the history, unchanged."""

    code = "split_superseded"
    status = 409


class NobodyToSplit(DomainError):
    code = "nobody_to_split"
    status = 409


class AlreadyPlaced(DomainError):
    code = "already_placed"
    status = 409


class AnswersLocked(DomainError):
    code = "answers_locked"
    status = 409


class AnswersFinal(DomainError):
    """The rapporteur marked the answers final; they can unmark them to edit again."""

    code = "answers_final"
    status = 409


class SheetFull(DomainError):
    code = "sheet_full"
    status = 409


class UnknownCategory(DomainError):
    code = "unknown_category"


class InvalidCategory(DomainError):
    """A category holds ';', which answers.csv puts between an answer's tags (server/minutes_render.py)."""

    code = "invalid_category"


class ConflictError(DomainError):
    """A refusal that hands back what would otherwise be lost: ``details`` travels with the error."""

    status = 409

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


class EditConflict(ConflictError):
    """Someone changed the contribution since the writer's ``base_version``: the details carry both texts
    (``yours`` and ``theirs``) so the writer can merge them and edit again from ``theirs.version``."""

    code = "edit_conflict"


class ContributionRemoved(ConflictError):
    """The contribution was removed meanwhile; ``details.yours`` is the refused text (add it again to keep it)."""

    code = "contribution_removed"


class NotYourContribution(DomainError):
    """A member edits or removes only their own contributions; the rapporteur and the facilitator anyone's."""

    code = "not_your_contribution"
    status = 403


class UndoExpired(DomainError):
    """A removal is undone within UNDO_SECONDS of it, on the server's clock; after that it stands."""

    code = "undo_expired"
    status = 409
