"""The exceptions services raise. Views turn them into form errors, 400, 404 or 409 responses."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: a request that the domain refuses, with a message a person can read."""

    status_code = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(ServiceError):
    """Bad input: out of range, wrong type, too long, or an item of another study. Nothing was written."""


class IllegalTransition(ServiceError):
    """A state change that the state machine does not allow (e.g. reopening a closed round)."""

    status_code = 409


class RoundNotOpen(ServiceError):
    """An answer for a round that is not open (closed, or not yet opened). Nothing was stored."""

    status_code = 409


class ImportFailed(ServiceError):
    """A file import that was refused as a whole; ``problems`` lists (line, column, message)."""

    def __init__(self, message: str, *, problems: list[tuple[int, str, str]]) -> None:
        super().__init__(message)
        self.problems = problems
