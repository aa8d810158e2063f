"""Account errors."""

from aftersales.core.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError


class UserExistsError(ConflictError):
    code = "user.exists"


class AccountVersionConflictError(ConflictError):
    """A user or organisation was changed by someone else since the form was drawn."""

    code = "account.version_conflict"


class UserNotFoundError(NotFoundError):
    code = "user.not_found"


class OrganisationNotFoundError(NotFoundError):
    code = "organisation.not_found"


class InvalidCredentialsError(AuthenticationError):
    code = "auth.invalid_credentials"


class InvalidAccountInputError(InvalidInputError):
    code = "user.invalid"


class AccountLockedError(AuthenticationError):
    code = "auth.locked"
