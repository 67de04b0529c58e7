"""The outbox: how a committed change reaches the hooks (the contact list, segments, ...).

`rows` writes a row in the change's own transaction and asks for a delivery after commit;
`enqueue` queues one delivery task per committing transaction; `delivery` is the relay that
hands pending rows to the hooks registered in `hooks`, and beat's sweep (its docstring is the
argument that no row is lost); `tasks` are the Celery tasks that run them.
"""
