"""How `attributes_apply` stores a write: the target's changed columns, the outbox row and the
history rows, all or nothing, and only if the target's row is still at the version the write
was worked out on (a compare-and-swap; `qualification.services.apply` says why that suffices)
and, when asked, the data attribute definitions still at the revision it used.

On PostgreSQL that is a single statement: the UPDATE and the two INSERTs joined by a WITH
clause, the INSERTs reading from the UPDATE's result, so they add rows only if the UPDATE
found the target at that version. A single statement is atomic on its own, so a write costs
one round trip instead of six (BEGIN, SELECT ... FOR UPDATE, UPDATE, INSERT, INSERT,
COMMIT); the API's contact updates are mostly this (issue 5 asks 400 a second on 2 cores).
Elsewhere (SQLite) the same writes run one after another in a transaction.

The SQL is written from the models' own metadata (identifiers only; every value is a
parameter) and each field's `get_db_prep_save`, as the ORM's own INSERT and UPDATE would be,
so a new column needs no change here.
"""

import functools
from contextlib import nullcontext
from typing import Any

from django.db import connection, models, transaction

from .models import AttributeChange, AttributeOutbox, AttributeTarget

# The one revision of all data attribute definitions, moved on by a trigger with every change to
# any of them (PostgreSQL only; migration 0007_definitions_revision).
DEFINITIONS_REVISION = "(SELECT revision FROM qualification_definitions_revision)"

_TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}

# What a write does to a JSON column: the keys it sets (to these values) and the keys it removes.
Merge = tuple[dict[str, Any], list[str]]


def write_if_current(
    *,
    target: AttributeTarget,
    version: int,
    revision: int | None = None,
    columns: dict[str, Any],
    merges: dict[str, Merge],
    outbox: AttributeOutbox | None,
    history: list[AttributeChange],
) -> bool:
    """Store the new values of `columns` (by field name), the keys each of `merges` sets and
    removes in its JSON column, the outbox row and the history rows, if `target`'s row is still
    at `version` and, when `revision` is given, the definitions still at that revision (on
    PostgreSQL). Otherwise store nothing and answer False. With nothing to change in the row,
    only the history rows are stored, on the same condition. Sets the outbox row's id.

    `target` must hold its row as stored at `version` where the JSON merges are worked out in
    Python (SQLite); on PostgreSQL they are merged into the row's own values."""
    if connection.vendor == "postgresql":
        # Inside a caller's transaction, a savepoint keeps a failed write from aborting it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return _write_in_one_statement(
                target, version, revision, columns, merges, outbox, history
            )
    if revision is not None:
        raise ValueError("Only PostgreSQL keeps a revision of the data attribute definitions.")
    model = type(target)
    # No savepoint of its own: an error here is the whole write's error.
    with transaction.atomic(savepoint=False):
        values = dict(columns)
        for name, (put, remove) in merges.items():
            stored = getattr(target, model._meta.get_field(name).attname)
            values[name] = {k: v for k, v in stored.items() if k not in remove} | put
        current = model._default_manager.filter(pk=target.pk, version=version)
        if not (current.update(**values) if values else current.exists()):
            return False
        if outbox is not None:
            outbox.save(force_insert=True)
        AttributeChange.objects.bulk_create(history)
    return True


def _write_in_one_statement(target, version, revision, columns, merges, outbox, history):
    quote = connection.ops.quote_name
    meta = type(target)._meta
    assignments, params = [], []
    for name, value in columns.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    for name, (put, remove) in merges.items():
        field = meta.get_field(name)
        merged = quote(field.column)
        if remove:
            merged = f"({merged} - %s::text[])"
            params.append(list(remove))
        if put:
            merged = f"{merged} || %s::jsonb"
            params.append(field.get_db_prep_save(put, connection))
        assignments.append(f"{quote(field.column)} = {merged}")
    pk, version_column = quote(meta.pk.column), quote(meta.get_field("version").column)
    conditions = f"{pk} = %s AND {version_column} = %s"
    params += [target.pk, version]
    if revision is not None:
        conditions += f" AND {DEFINITIONS_REVISION} = %s"
        params.append(revision)
    table = quote(meta.db_table)
    if assignments:
        written = f"UPDATE {table} SET {', '.join(assignments)} WHERE {conditions} RETURNING {pk}"
    else:  # nothing changes in the row: still only on the row (and definitions) as worked out
        written = f"SELECT {pk} FROM {table} WHERE {conditions}"
    parts = [f"written AS ({written})"]
    outbox_id = "NULL"
    if outbox is not None:
        outbox_sql, outbox_params = _insert_after_write(AttributeOutbox, [outbox], returning=True)
        parts.append(f"outbox AS ({outbox_sql})")
        params += outbox_params
        outbox_id = "(SELECT id FROM outbox)"
    if history:
        history_sql, history_params = _insert_after_write(AttributeChange, history)
        parts.append(f"history AS ({history_sql})")
        params += history_params
    sql = f"WITH {', '.join(parts)} SELECT EXISTS (SELECT 1 FROM written), {outbox_id}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written, outbox_id = cursor.fetchone()
    if written and outbox is not None:
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
