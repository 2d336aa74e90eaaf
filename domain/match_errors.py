"""Errors of matchmaking commands, each with a stable ``code`` (listed in protocol.md)."""

from __future__ import annotations

from domain.errors import DomainError


class MatchmakingNotConfigured(DomainError):
    code = "matchmaking_not_configured"
    status = 409


class UnknownMeeting(DomainError):
    code = "unknown_meeting"
    status = 404


class NotYourMeeting(DomainError):
    code = "not_your_meeting"
    status = 403


class AlreadyRequested(DomainError):
    code = "already_requested"
    status = 409


class MeetingState(DomainError):
    code = "meeting_state"
    status = 409


class ScheduleStale(DomainError):
    code = "schedule_stale"
    status = 409


class NotScheduled(DomainError):
    code = "not_scheduled"
    status = 409
