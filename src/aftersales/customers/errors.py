"""Customer errors."""

from aftersales.core.errors import InvalidInputError, NotFoundError


class InvalidPhoneError(InvalidInputError):
    code = "customer.invalid_phone"


class InvalidAddressError(InvalidInputError):
    code = "customer.invalid_address"


class CustomerNotFoundError(NotFoundError):
    code = "customer.not_found"


class ProductModelNotFoundError(NotFoundError):
    code = "product.not_found"
