"""Fast inserts for the services that write many rows at once (ingestion): COPY on PostgreSQL, executemany on SQLite.

Django's `bulk_create` builds a model instance and a parameter list per row, which costs more than the database
does for a million doses. `insert_rows` takes plain tuples in column order, reserves the ids first (so the caller
knows them without RETURNING), converts only the columns whose Python value is not what the driver takes, and
writes them with one COPY (PostgreSQL) or one executemany (SQLite). Only services call it, inside their
transaction; it checks nothing, so the service checks every row first, as it would for `bulk_create`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

Row = Sequence[Any]
M = TypeVar("M", bound=models.Model)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _converters(model: type[models.Model], columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, function) for each column whose Python value the driver does not take as it is."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    sqlite = connection.vendor == "sqlite"
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for position, column in enumerate(columns):
        field = by_column[column]
        if isinstance(field, models.JSONField):
            found.append((position, _json))
        elif sqlite and isinstance(field, models.UUIDField):
            found.append((position, lambda v: v.hex if isinstance(v, uuid.UUID) else v))
        elif sqlite and isinstance(field, models.DateTimeField):
            found.append((position, lambda v: connection.ops.adapt_datetimefield_value(v)))
        elif sqlite and isinstance(field, models.DateField):
            found.append((position, lambda v: v.isoformat() if isinstance(v, dt.date) else v))
    return found


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, unique even with other writers; call inside the writing transaction."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [r[0] for r in cursor.fetchall()]
        # SQLite: transactions begin IMMEDIATE (settings), so this one holds the write lock and no other writer
        # can take the same ids between this read and the insert; AUTOINCREMENT keeps ids of deleted rows out.
        cursor.execute(
            f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f'coalesce((SELECT max(id) FROM "{table}"), 0))',
            [table],
        )
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


SMALL = 50  # up to this many rows, one INSERT … RETURNING is one round trip instead of two (ids, then COPY)


def _converted(rows: Sequence[Row], convert: list[tuple[int, Callable[[Any], Any]]]) -> Iterator[Row]:
    """The rows with each converted column's value converted (the rows themselves are not changed)."""
    if not convert:
        yield from rows
        return
    for row in rows:
        row = list(row)
        for position, fn in convert:
            row[position] = fn(row[position])
        yield row


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Row]) -> list[int]:
    """Insert `rows` (values in `columns` order, without the id) with new ids; returns the ids, in order."""
    if not rows:
        return []
    if connection.vendor == "postgresql" and len(rows) <= SMALL:
        convert = _converters(model, columns)
        table = connection.ops.quote_name(model._meta.db_table)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        params = [value for row in _converted(rows, convert) for value in row]
        with connection.cursor() as cursor:
            # PostgreSQL returns the rows of a multi-row VALUES in order (Django's bulk_create relies on it too)
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {', '.join([marks] * len(rows))} RETURNING id", params
            )
            return [r[0] for r in cursor.fetchall()]
    ids = reserve_ids(model, len(rows))
    write_rows(model, ["id", *columns], [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
    return ids


def write_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Insert `rows` as they are, in one COPY (PostgreSQL) or one executemany (SQLite): with the primary key among
    the columns, or without it for the table to number them (when the caller needs no ids)."""
    if not rows:
        return
    convert = _converters(model, columns)
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = (
                cursor.cursor
            )  # the psycopg cursor under Django's wrapper, whose errors Django's wrapper maps
            with connection.wrap_database_errors, raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in _converted(rows, convert):
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(_converted(rows, convert))
            )


def insert_objects(objs: list[M]) -> list[M]:
    """Insert unsaved model instances (defaults already set by their constructor) and give them their ids.

    `auto_now`/`auto_now_add` fields get the current time, as `save()` would give them.
    """
    if not objs:
        return objs
    model = type(objs[0])
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj in objs:
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(obj, f.attname, now)
    rows = [tuple(getattr(obj, f.attname) for f in fields) for obj in objs]
    ids = insert_rows(model, [str(f.column) for f in fields], rows)
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def loaded(model: type[M], **values: Any) -> M:
    """An instance of a row read with only some columns (by attname); the others load on first access, as with
    `QuerySet.only()`, so a reader never sees a default where the row has a value."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[n] for n in names])
