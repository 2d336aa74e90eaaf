"""Errors of rotation and timer commands, each with a stable ``code`` (listed in protocol.md)."""

from __future__ import annotations

from domain.errors import DomainError


class UnknownRotation(DomainError):
    code = "unknown_rotation"
    status = 404


class RotationNotRunning(DomainError):
    code = "rotation_not_running"
    status = 409


class RotationRunning(DomainError):
    code = "rotation_running"
    status = 409


class RotationFinished(DomainError):
    code = "rotation_finished"
    status = 409


class NotEnoughPeople(DomainError):
    code = "not_enough_people"
    status = 409


class CannotPlan(DomainError):
    code = "cannot_plan"
    status = 422


class NotMet(DomainError):
    code = "not_met"
    status = 403


class TimerNotRunning(DomainError):
    code = "timer_not_running"
    status = 409


class TimerNotPaused(DomainError):
    code = "timer_not_paused"
    status = 409
