"""Opaque page cursors: a few values, joined and base64-encoded for a URL or a JSON body.
Every keyset pager (the inbox, the contacts and events APIs) spells its cursor with these. It
imports no app, so every app may use it."""

import base64

# The ASCII unit separator: sort values (names) may hold any printable character.
SEPARATOR = "\x1f"


def cursor_encode(*parts: object) -> str:
    return base64.urlsafe_b64encode(SEPARATOR.join(map(str, parts)).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> list[str] | None:
    """The values a cursor holds, or None if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode().split(SEPARATOR)
    except (ValueError, UnicodeDecodeError):
        return None
