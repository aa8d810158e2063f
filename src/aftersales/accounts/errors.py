"""Account errors."""

from aftersales.core.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError


class UserExistsError(ConflictError):
    code = "user.exists"


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
