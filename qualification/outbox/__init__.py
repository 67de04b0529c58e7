"""The outbox: how a committed change reaches the hooks (the contact list, segments, ...).

`rows` writes a row in the change's own transaction and asks for delivery after commit;
`enqueue` asks once per committing transaction (the relay's wake-up, or in-process on the
embedded default); `delivery` claims pending rows and hands them to the hooks registered in
`hooks`, and holds the argument that no row is lost; `relay` is the long-running delivery
woken after commits; `tasks` are the Celery tasks: the relay and beat's sweep.
"""
