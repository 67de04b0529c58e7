"""The outbox: how a committed change reaches the hooks (the contact list, segments, ...).

`rows` writes a row in the change's own transaction; `enqueue` queues a delivery after commit;
`delivery` hands pending rows to the hooks registered in `hooks`; `tasks` are the Celery tasks
that run delivery and beat's sweep.
"""
