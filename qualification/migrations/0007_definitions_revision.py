"""One revision number for all data attribute definitions, on PostgreSQL.

`qualification_definitions_revision` holds one row, created with it. Before every statement that
changes `qualification_dataattribute` (INSERT, UPDATE, DELETE, TRUNCATE) a trigger gives that
row a new revision, drawn from a sequence, in the statement's own transaction. Whatever changes
a definition (the services, the admin, a QuerySet.update, raw SQL, a teammate's deletion that
empties `created_by`), the revision moves with it; and since a sequence never hands out a number
twice, no two states of the definitions ever share a revision, not even a rolled-back one.
Taking the row's lock before the statement's own row locks keeps two definition changes from
deadlocking on it.

The write path keeps the definitions it read with the revision they were read at, and stores a
value worked out with them only while the revision is unchanged (`qualification.commit`).

A table of its own, not a model: Django's flush (between tests) leaves it alone, so it always has
its row. SQLite gets none of this: there every write reads the definitions afresh.
"""

from django.db import migrations

CREATE = """
CREATE SEQUENCE qualification_definitions_revision_seq;
CREATE TABLE qualification_definitions_revision (
    id smallint PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL
);
INSERT INTO qualification_definitions_revision (id, revision)
    VALUES (1, nextval('qualification_definitions_revision_seq'));
CREATE FUNCTION qualification_definitions_revise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE qualification_definitions_revision
        SET revision = nextval('qualification_definitions_revision_seq');
    RETURN NULL;
END
$$;
CREATE TRIGGER qualification_dataattribute_revise
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON qualification_dataattribute
    FOR EACH STATEMENT EXECUTE FUNCTION qualification_definitions_revise();
"""

DROP = """
DROP TRIGGER qualification_dataattribute_revise ON qualification_dataattribute;
DROP FUNCTION qualification_definitions_revise();
DROP TABLE qualification_definitions_revision;
DROP SEQUENCE qualification_definitions_revision_seq;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # several statements


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("qualification", "0006_history_of_conversations")]

    operations = [migrations.RunPython(create, drop)]
