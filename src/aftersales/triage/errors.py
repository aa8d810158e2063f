"""Triage errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class InvalidRuleError(InvalidInputError):
    code = "triage.invalid_rule"


class RuleNotFoundError(NotFoundError):
    code = "triage.rule_not_found"


class RuleExistsError(ConflictError):
    code = "triage.rule_exists"


class RuleChangedError(ConflictError):
    code = "triage.rule_changed"


class ModelNotFoundError(NotFoundError):
    code = "triage.model_not_found"
