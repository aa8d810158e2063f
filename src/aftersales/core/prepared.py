"""Hot-path statements compiled once per dialect and run on the driver's cursor.

SQLAlchemy Core spends 60–100 µs of Python on each execution (execution context, parameter
construction, events, result wrapping) around a statement SQLite runs in 10–20 µs. Registering a ticket
sends a dozen statements from the single writer thread, so that overhead is the write path's ceiling.
A :class:`Prepared` statement is compiled by SQLAlchemy itself — the same SQL text, the same type
processors for parameters and results as a normal execution — and then run straight on the DBAPI
connection of the session's current transaction (so SAVEPOINTs, the SQLite write gate and the unit of
work are untouched). ``tests/core/test_prepared.py`` checks, on SQLite and PostgreSQL, that the SQL and
the parameters sent are exactly what SQLAlchemy sends for the same statement.

Only what the hot path needs: no expanding ``IN`` parameters, no Python-side column defaults (every
inserted column is named in ``keys``), rows as named tuples.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

_FROM_PARAMS = object()


@dataclass(frozen=True)
class _Slot:
    name: str
    fixed: Any  # _FROM_PARAMS, or the statement's own literal value (already processed)
    process: Callable[[Any], Any] | None


class CompiledStatement:
    """One statement compiled for one dialect."""

    def __init__(
        self, sql: str, positional: bool, slots: tuple[_Slot, ...], row_type: Any, result_types: tuple[Any, ...]
    ) -> None:
        self.sql = sql
        self.positional = positional
        self.slots = slots
        self.row_type = row_type
        self._result_types = result_types
        # Result processors depend on the driver's type codes (cursor.description): set on first rows.
        self._result_processors: tuple[Callable[[Any], Any] | None, ...] | None = None

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The DBAPI parameters for ``params`` (a tuple, or a dict for named paramstyles)."""
        values = []
        for slot in self.slots:
            if slot.fixed is _FROM_PARAMS:
                try:
                    value = params[slot.name]
                except KeyError:
                    raise KeyError(f"parameter {slot.name!r} missing for prepared statement") from None
                values.append(value if slot.process is None else slot.process(value))
            else:
                values.append(slot.fixed)
        if self.positional:
            return tuple(values)
        return {slot.name: value for slot, value in zip(self.slots, values, strict=True)}

    def rows(self, dialect: Dialect, description: Sequence[Any], raw_rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Raw driver rows as named tuples, through the columns' result processors."""
        processors = self._result_processors
        if processors is None:
            processors = self._result_processors = tuple(
                type_.result_processor(dialect, column[1])
                for type_, column in zip(self._result_types, description, strict=True)
            )
        if not any(processors):
            return [self.row_type._make(raw) for raw in raw_rows]
        # Processors see None too, as in SQLAlchemy (a JSON 'null' becomes None).
        return [
            self.row_type._make(
                value if process is None else process(value) for process, value in zip(processors, raw, strict=True)
            )
            for raw in raw_rows
        ]


class Prepared:
    """A Core statement compiled once per dialect; executed on the connection's DBAPI cursor."""

    def __init__(self, statement: ClauseElement, *, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._compiled: dict[str, CompiledStatement] = {}

    def compiled(self, dialect: Dialect) -> CompiledStatement:
        """The statement compiled for ``dialect`` (cached)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.statement, dialect, self.keys)
        return found

    def all(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run the statement and return every row it returns (named tuples)."""
        compiled = self.compiled(connection.dialect)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with _wrapped_errors(connection, compiled.sql):
                cursor.execute(compiled.sql, compiled.parameters(params))
                if cursor.description is None:
                    return []
                return compiled.rows(connection.dialect, cursor.description, cursor.fetchall())
        finally:
            cursor.close()

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any | None:
        """The first row, or None."""
        rows = self.all(connection, params)
        return rows[0] if rows else None

    def one(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """Exactly one row (raises otherwise)."""
        rows = self.all(connection, params)
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return rows[0]

    def scalar(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(connection, params)
        return None if row is None else row[0]

    def execute(self, connection: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Run the statement for one parameter set or many (executemany), ignoring any rows."""
        compiled = self.compiled(connection.dialect)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with _wrapped_errors(connection, compiled.sql):
                if isinstance(params, Mapping):
                    cursor.execute(compiled.sql, compiled.parameters(params))
                else:
                    cursor.executemany(compiled.sql, [compiled.parameters(one) for one in params])
        finally:
            cursor.close()


@contextmanager
def _wrapped_errors(connection: Connection, sql: str) -> Iterator[None]:
    """The driver's errors as SQLAlchemy raises them (``IntegrityError`` …), so callers catch one kind."""
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as error:
        raise DBAPIError.instance(sql, None, error, dbapi_error, dialect=connection.dialect) from error


def _compile(statement: ClauseElement, dialect: Dialect, keys: list[str] | None) -> CompiledStatement:
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    binds = compiled.binds  # type: ignore[attr-defined]
    positiontup = getattr(compiled, "positiontup", None)
    positional = bool(dialect.positional)
    if positional and positiontup is not None:
        names = list(positiontup)
    else:  # named paramstyles: the names as rendered (anonymous binds resolved), each once
        names = list(dict.fromkeys(compiled.bind_names.values()))  # type: ignore[attr-defined]
    slots = []
    for name in names:
        bind = binds[name]
        if bind.expanding:
            raise ValueError(f"expanding parameter {name!r} is not supported by Prepared")
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            slots.append(_Slot(name, _FROM_PARAMS, process))
        else:
            value = bind.effective_value
            slots.append(_Slot(name, value if process is None else process(value), None))
    columns = list(getattr(statement, "exported_columns", []))
    row_type = namedtuple("Row", [column.key for column in columns] or ["_"], rename=True)  # type: ignore[misc]
    result_types = tuple(column.type.dialect_impl(dialect) for column in columns)
    return CompiledStatement(str(compiled), positional, tuple(slots), row_type, result_types)
