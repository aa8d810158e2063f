"""Dispatch errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class InvalidDispatchInputError(InvalidInputError):
    code = "dispatch.invalid"


class PlanNotFoundError(NotFoundError):
    code = "dispatch.plan_not_found"


class InvalidAttachmentError(InvalidDispatchInputError):
    """A photo or signature of the wrong type, size or count."""

    code = "dispatch.attachment_invalid"


class FieldStepNotAllowedError(ConflictError):
    """The job flow does not allow this step now (not accepted yet, not on site, already confirmed …)."""

    code = "dispatch.step_not_allowed"


class ConfirmationCodeError(ConflictError):
    """No usable confirmation code: none sent, expired, locked after too many attempts, or sent too recently."""

    code = "dispatch.code_unavailable"


class WrongConfirmationCodeError(InvalidDispatchInputError):
    """The code does not match; the failed attempt counts (the edge commits it before answering)."""

    code = "dispatch.code_wrong"


class VisitFlagNotFoundError(NotFoundError):
    code = "dispatch.flag_not_found"


class VisitFlagReviewedError(ConflictError):
    """The flagged visit was reviewed already."""

    code = "dispatch.flag_reviewed"
