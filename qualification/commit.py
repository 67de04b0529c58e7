"""How `attributes_apply` stores a write: the target's new column values, the outbox row and
the history rows, all or nothing, and only if the target is still as the write was worked out
from it (its version, and on PostgreSQL every value the write read and the data attributes it
used).

On PostgreSQL that is a single statement: the UPDATE and the two INSERTs joined by a WITH
clause, the INSERTs reading from the UPDATE's result, so they add rows only if the UPDATE
found the target at that version. A single statement is atomic on its own, so a write costs
one round trip instead of six (BEGIN, SELECT ... FOR UPDATE, UPDATE, INSERT, INSERT,
COMMIT); the API's contact updates are mostly this (issue 5 asks 400 a second on 2 cores).
Elsewhere (SQLite) the same writes run one after another in a transaction.

The SQL is written from the models' own metadata (identifiers only; every value is a
parameter) and each field's `get_db_prep_save`, as the
ORM's own INSERT and UPDATE would be, so a new column needs no change here.
"""

import functools
from contextlib import nullcontext
from typing import Any

from django.db import connection, models, transaction

from .models import AttributeChange, AttributeOutbox, AttributeTarget, DataAttribute

# A data attribute row's fingerprint, read beside it (`FROM ... AS d`) and checked again by a
# write that relied on it: any change to any column changes it.
FINGERPRINT_COLUMN = ", md5(d::text) AS fingerprint"

_TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


def write_if_current(
    *,
    target: AttributeTarget,
    version: int,
    as_read: dict[str, Any] | None,
    columns: list[str],
    outbox: AttributeOutbox,
    history: list[AttributeChange],
    attributes: list[DataAttribute] | None = None,
) -> bool:
    """Store `columns` of `target` (as the instance holds them), the outbox row and the
    history rows if the target's row is still at `version`; on PostgreSQL also only if its
    fields still hold the values in `as_read` and `attributes` (read with their fingerprints)
    are still the only data attributes of their names, unchanged. Otherwise store nothing and
    answer False. Sets the outbox row's id."""
    if connection.vendor == "postgresql":
        # Inside a caller's transaction, a savepoint keeps a failed write from aborting it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return _write_in_one_statement(
                target, version, as_read, attributes, columns, outbox, history
            )
    if as_read is not None or attributes is not None:
        raise ValueError("Only PostgreSQL checks values and data attributes as read.")
    model = type(target)
    # No savepoint of its own: an error here is the whole write's error.
    with transaction.atomic(savepoint=False):
        values = {name: getattr(target, model._meta.get_field(name).attname) for name in columns}
        if not model._default_manager.filter(pk=target.pk, version=version).update(**values):
            return False
        outbox.save(force_insert=True)
        AttributeChange.objects.bulk_create(history)
    return True


def _write_in_one_statement(target, version, as_read, attributes, columns, outbox, history):
    quote = connection.ops.quote_name
    meta = type(target)._meta
    assignments, params = [], []
    for name in columns:
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(getattr(target, field.attname), connection))
    pk, version_column = quote(meta.pk.column), quote(meta.get_field("version").column)
    conditions = f"{pk} = %s AND {version_column} = %s"
    params += [target.pk, version]
    for name, value in (as_read or {}).items():
        field = meta.get_field(name)
        conditions += f" AND {quote(field.column)} IS NOT DISTINCT FROM %s"
        params.append(field.get_db_prep_value(value, connection))
    if attributes is not None:
        # The attributes of these names now, as a set of fingerprints: a changed, deleted or
        # newly made one (of a name that was unknown) makes it differ. Ordered bytewise, as
        # Python sorts, whatever the database's collation.
        names = sorted({a.name for a in attributes})
        conditions += (
            ' AND (SELECT array_agg(md5(d::text) ORDER BY md5(d::text) COLLATE "C") '
            f"FROM {quote(DataAttribute._meta.db_table)} AS d "
            f"WHERE d.model = %s AND d.name IN ({', '.join(['%s'] * len(names))})) = %s"
        )
        params += [type(target).attribute_model, *names, sorted(a.fingerprint for a in attributes)]
    parts = [
        f"written AS (UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE {conditions} RETURNING {pk})"
    ]
    outbox_sql, outbox_params = _insert_after_write(AttributeOutbox, [outbox], returning=True)
    parts.append(f"outbox AS ({outbox_sql})")
    params += outbox_params
    if history:
        history_sql, history_params = _insert_after_write(AttributeChange, history)
        parts.append(f"history AS ({history_sql})")
        params += history_params
    sql = f"WITH {', '.join(parts)} SELECT EXISTS (SELECT 1 FROM written), (SELECT id FROM outbox)"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written, outbox_id = cursor.fetchone()
    if written:
        outbox.pk = outbox_id
    return written


def _insert_after_write(
    model: type[models.Model], objs: list[models.Model], returning: bool = False
) -> tuple[str, list[Any]]:
    """INSERT ... SELECT that adds `objs` once for each row `written` returns (none or one)."""
    fields, head, row = _insert_parts(model)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    sql = f"{head} SELECT v.* FROM written, (VALUES {', '.join([row] * len(objs))}) AS v"
    if returning:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return sql, params


@functools.cache
def _insert_parts(model: type[models.Model]) -> tuple[list[models.Field], str, str]:
    """The columns, `INSERT INTO table (columns)` and one row's placeholders, for PostgreSQL:
    the same for every write, and worked out from the fields' types (a quarter of the CPU of
    a write when it was done each time)."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    # Values under SELECT get no type from the columns they go to: cast each to its column's
    # type (text for strings, so a value too long for its column is refused, not truncated).
    row = ", ".join(
        "%s" if f.get_internal_type() in _TEXT_TYPES else f"CAST(%s AS {f.db_type(connection)})"
        for f in fields
    )
    columns = ", ".join(quote(f.column) for f in fields)
    return fields, f"INSERT INTO {quote(model._meta.db_table)} ({columns})", f"({row})"
