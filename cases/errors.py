"""Named errors of the case engine; messages are Russian because the console shows them to officers."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base: the requested action was refused and nothing was changed."""


class NotFound(WorkflowError, LookupError):
    pass


class PermissionDenied(WorkflowError):
    """R6 and agency boundaries: this person may not take this action."""


class IllegalTransition(WorkflowError):
    """The case's state machine has no such step from the current state."""


class ReturnWindowClosed(IllegalTransition):
    """R9: the 30-minute window for returning a case as not competent has passed."""


class InvalidDraft(WorkflowError, ValueError):
    """The text cannot be sent: empty, too long for the network (R21), or missing measures (R19.2)."""


class InvalidInput(WorkflowError, ValueError):
    pass
