"""Knowledge errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class ArticleNotFoundError(NotFoundError):
    code = "knowledge.article_not_found"


class InvalidArticleError(InvalidInputError):
    code = "knowledge.invalid"


class ArticleExistsError(ConflictError):
    code = "knowledge.article_exists"
