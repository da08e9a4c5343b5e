"""Expected failures: every one carries a stable machine code and a Chinese message a client can show."""

from __future__ import annotations

import re
from collections.abc import Iterable


class DomainError(Exception):
    """An expected failure a user can cause; mutations turn it into a typed payload."""

    kind = "domain"
    default_code = "error"
    # True when the work done before the failure must still commit (e.g. counting a wrong password).
    commit = False

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, commit: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.commit = commit

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r})"


class ValidationError(DomainError):
    """Input that does not satisfy the rules: a wrong ID number, a missing form field, a bad file."""

    kind = "validation"
    default_code = "invalid"


class NotAllowedError(DomainError):
    """The caller may not do this: wrong role, outside their region, someone else's data."""

    kind = "not_allowed"
    default_code = "not_allowed"


class NotFoundError(DomainError):
    """The thing asked for does not exist (or is invisible to the caller)."""

    kind = "not_found"
    default_code = "not_found"


class ConflictError(DomainError):
    """The request clashes with the current state: a transition out of order, a duplicate."""

    kind = "conflict"
    default_code = "conflict"


class AuthError(DomainError):
    """Sign-in failed or the session is no longer valid."""

    kind = "auth"
    default_code = "unauthenticated"


class RateLimitedError(DomainError):
    """Too many attempts; try again after `retry_after` seconds."""

    kind = "rate_limited"
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


# How much of a value the caller sent a message may repeat: a name or a code is recognisable by its first
# characters, and a 10 KB value sent back whole is 10 KB more on an old phone.
ECHO_LENGTH = 24
ECHO_COUNT = 5


def echo(value: object, length: int = ECHO_LENGTH) -> str:
    """Returns what a message repeats of a value the caller sent: the value, or its first `length` characters
    followed by "…"."""
    text = str(value)
    return text if len(text) <= length else text[:length] + "…"


def echo_all(values: Iterable[object], count: int = ECHO_COUNT) -> str:
    """Returns the first `count` of the caller's values, each cut as by `echo`, joined with "、" (and "等n项"
    when there were more)."""
    values = list(values)
    shown = "、".join(echo(v) for v in values[:count])
    return shown if len(values) <= count else f"{shown}等{len(values)}项"


# A value graphql-core repeats in its own messages ("Value 'x' does not exist in 'CaseStatus' enum"): a run of
# more than 80 characters between quotes (the words between two quoted names are far shorter).
_LONG_QUOTED = re.compile(f"(?<=['\"])([^'\"]{{{ECHO_LENGTH}}})[^'\"]{{{81 - ECHO_LENGTH},}}(?=['\"])")
MESSAGE_LENGTH = 300


def cut_quoted(message: str) -> str:
    """Returns a message not built here (graphql-core's) with each long quoted value in it cut as by `echo`, and
    the whole cut at MESSAGE_LENGTH characters should many short values still make it long."""
    message = _LONG_QUOTED.sub(lambda m: m[1] + "…", message)
    return message if len(message) <= MESSAGE_LENGTH else message[:MESSAGE_LENGTH] + "…"
