"""Feedback errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class VisitNotFoundError(NotFoundError):
    code = "visit.not_found"


class InvalidVisitInputError(InvalidInputError):
    code = "visit.invalid"


class VisitClosedError(ConflictError):
    """The visit is already done or ended as unreachable."""

    code = "visit.closed"


class SurveyLinkError(ConflictError):
    """A survey link that is malformed, expired or already used (``code`` says which)."""

    code = "visit.link_invalid"


class PromiseNotFoundError(NotFoundError):
    code = "promise.not_found"


class InvalidPromiseError(InvalidInputError):
    code = "promise.invalid"


class PromiseClosedError(ConflictError):
    code = "promise.closed"


class VisitClaimedError(ConflictError):
    """Another agent already owns the visit."""

    code = "visit.claimed"
