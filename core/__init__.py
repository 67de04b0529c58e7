"""The bottom layer: plumbing every app may use (request context, cursors and keyset pages,
the Redis cache backend, API errors). It imports no app of Switchboard."""
