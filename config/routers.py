"""Send reads of the read models to the `replica` alias when one is configured."""

from django.conf import settings


class ReplicaRouter:
    """Models that set `read_from_replica = True` are read from the replica; all writes go to
    the primary. Without REPLICA_DATABASE_URL every read stays on the primary."""

    def db_for_read(self, model, **hints):
        if getattr(model, "read_from_replica", False) and "replica" in settings.DATABASES:
            return "replica"
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
