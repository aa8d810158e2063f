"""Knowledge errors."""

from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError


class ArticleNotFoundError(NotFoundError):
    code = "knowledge.article_not_found"


class InvalidArticleError(InvalidInputError):
    code = "knowledge.invalid"


class ArticleExistsError(ConflictError):
    code = "knowledge.article_exists"


class BulletinNotFoundError(NotFoundError):
    code = "bulletin.not_found"


class InvalidBulletinError(InvalidInputError):
    code = "bulletin.invalid"


class BulletinConflictError(ConflictError):
    """A stale version, or a move the bulletin's status does not allow (``bulletin.invalid_transition``)."""

    code = "bulletin.version_conflict"


class SynonymNotFoundError(NotFoundError):
    code = "knowledge.synonym_not_found"


class InvalidSynonymError(InvalidInputError):
    code = "knowledge.invalid_synonym"


class SynonymExistsError(ConflictError):
    code = "knowledge.synonym_exists"


class SynonymChangedError(ConflictError):
    code = "knowledge.synonym_changed"
