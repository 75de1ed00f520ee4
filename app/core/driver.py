"""The hot statements, run on the driver's own connection.

Every token request and mint runs about eight statements. Through SQLAlchemy's execution path one
cost 20-28 us of CPU and an ORM session 90 us more, against 3-6 us on the driver (`make bench`), so
the statements every such request runs are built with SQLAlchemy Core as everywhere else, compiled
once per dialect, and executed here on the DBAPI connection, with the column types' own bind and
result processing. Only public APIs: `compile()` with its `binds` and `positiontup`, the types'
`bind_processor`/`result_processor`, `Connection.connection.driver_connection`, and
`DBAPIError.instance`, which turns a driver's error into SQLAlchemy's, so a unique-key collision
or a busy database answers what it answers everywhere else (core/db.py's `error_of`).

Works on SQLite (sqlite3) and PostgreSQL (psycopg 3); a statement runs in whatever transaction its
connection is in, beside the session's own statements when the connection is a session's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import BindParameter, Table, bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


@dataclass
class Connection:
    """A DBAPI connection and the dialect its statements are compiled for."""

    dbapi: Any
    dialect: Dialect

    @property
    def name(self) -> str:
        """The backend: "sqlite" or "postgresql"."""
        return str(self.dialect.name)


def of(session: Session) -> Connection:
    """The driver connection under `session`, in its transaction (begun if it was not)."""
    connection = session.connection()
    return Connection(connection.connection.driver_connection, connection.dialect)


# What the services that hot units call take: a unit's driver connection, or a session (whose
# connection they then use) from the rest of the server.
On = Session | Connection


def on(db: On) -> Connection:
    return db if isinstance(db, Connection) else of(db)


def binds(table: Table, *names: str) -> dict[str, BindParameter[Any]]:
    """An INSERT's values: a parameter of each named column, of the column's type."""
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


@dataclass
class _Compiled:
    sql: str
    positions: Sequence[str] | None  # the parameters' order for a positional paramstyle
    defaults: dict[str, Any]  # the values the statement binds itself (literals in it)
    binds: Mapping[str, Processor]
    columns: Sequence[Any]  # the selected or returned columns, for their result processing
    results: list[Processor] | None = None  # built from the first cursor's description


@dataclass
class Statement:
    """A Core statement, compiled once per dialect, run on a driver connection."""

    statement: ClauseElement
    _compiled: dict[str, _Compiled] = field(default_factory=dict, repr=False)

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            built = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            binds = {
                key: bind.type.dialect_impl(dialect).bind_processor(dialect)
                for key, bind in built.binds.items()
            }
            columns = list(getattr(self.statement, "exported_columns", ()))
            compiled = _Compiled(
                sql=built.string,
                positions=built.positiontup,
                defaults={
                    key: bind.effective_value
                    for key, bind in built.binds.items()
                    if not bind.required
                },
                binds=binds,
                columns=columns,
            )
            self._compiled[dialect.name] = compiled
        return compiled

    def run(self, connection: Connection, values: Mapping[str, Any] | None = None) -> Any:
        """Execute with `values` for the statement's bound parameters; the DBAPI cursor."""
        compiled = self._for(connection.dialect)
        params = dict(compiled.defaults)
        if values:
            params.update(values)
        for key, process in compiled.binds.items():
            if process is not None and params.get(key) is not None:
                params[key] = process(params[key])
        bound: Any = params
        if compiled.positions is not None:
            bound = tuple(params[key] for key in compiled.positions)
        cursor = connection.dbapi.cursor()
        try:
            cursor.execute(compiled.sql, bound)
        except connection.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(
                compiled.sql, bound, exc, connection.dialect.loaded_dbapi.Error
            ) from exc
        if compiled.results is None and cursor.description is not None:
            compiled.results = [
                column.type.dialect_impl(connection.dialect).result_processor(
                    connection.dialect, description[1]
                )
                for column, description in zip(compiled.columns, cursor.description, strict=False)
            ]
        return cursor

    def first(self, connection: Connection, values: Mapping[str, Any] | None = None) -> Any:
        """The first row, processed, as a tuple, or None."""
        cursor = self.run(connection, values)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        processors = self._compiled[connection.dialect.name].results or [None] * len(row)
        return tuple(
            p(value) if p is not None and value is not None else value
            for p, value in zip(processors, row, strict=True)
        )

    def scalars(self, connection: Connection, values: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row's first column, processed."""
        cursor = self.run(connection, values)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        processors = self._compiled[connection.dialect.name].results or [None]
        process = processors[0]
        return [process(row[0]) if process and row[0] is not None else row[0] for row in rows]

    def scalar(self, connection: Connection, values: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.first(connection, values)
        return None if row is None else row[0]

    def count(self, connection: Connection, values: Mapping[str, Any] | None = None) -> int:
        """The rows a write changed (an INSERT ... ON CONFLICT DO NOTHING that did nothing: 0)."""
        cursor = self.run(connection, values)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


BEGIN_IMMEDIATE = Statement(text("BEGIN IMMEDIATE"))
