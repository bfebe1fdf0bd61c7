"""The one error root: what a person did wrong, kept apart from bugs.

A :class:`UserError` carries an English message id and its parameters; the
service translates it into the person's language at the one place it catches
errors, rolls the transaction back and answers with it. Anything else is a bug:
logged with context and answered with a short apology.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Something the person can fix; nothing was changed."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class Forbidden(UserError):
    """The person's role does not allow this; nothing was changed."""


class Busy(Exception):
    """The database did not answer in time; the person should try again."""
