"""What a write answers: the values it applied, skipped or refused, each refusal's reason, a
value's provenance, and the conflicts that make a stale edit fail."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from .sources import MANUAL_SOURCES, source_label
from .values import Canonical


@dataclass(frozen=True)
class AttributeProblem:
    attribute: str
    label: str
    value: Any
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Provenance:
    source: str
    actor_kind: str
    actor_id: str
    actor_label: str
    at: datetime
    version: int
    locked: bool
    where: str = ""  # a manual edit's place: "in conversation #96"
    where_url: str = ""
    # The latest value an app sent while a manual edit held this one: what, from where, when.
    has_pending: bool = False
    pending: Any = None
    pending_source: str = ""
    pending_actor_label: str = ""
    pending_at: datetime | None = None

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def pending_source_label(self) -> str:
        return source_label(self.pending_source) if self.pending_source else ""

    @property
    def is_manual(self) -> bool:
        return self.source in MANUAL_SOURCES

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> "Provenance | None":
        if not stored:
            return None
        return cls(
            source=stored["source"],
            actor_kind=stored["actor_kind"],
            actor_id=stored.get("actor_id", ""),
            actor_label=stored["actor_label"],
            at=parse_datetime(stored["at"]),
            version=stored["version"],
            locked=stored.get("locked", False),
            where=stored.get("where", ""),
            where_url=stored.get("where_url", ""),
            has_pending="pending_source" in stored,
            pending=stored.get("pending"),
            pending_source=stored.get("pending_source", ""),
            pending_actor_label=stored.get("pending_actor_label", ""),
            pending_at=parse_datetime(stored["pending_at"]) if stored.get("pending_at") else None,
        )


@dataclass(frozen=True)
class Conflict:
    attribute: str
    label: str
    current_value: Canonical
    set_by: Provenance | None


class AttributeWriteError(Exception):
    """Nothing was written: one or more values were refused, each with its reason."""

    def __init__(self, problems: list[AttributeProblem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class StaleWriteError(Exception):
    """Nothing was written: someone changed these attributes after the writer read them."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        described = ", ".join(
            f"{c.label} is now {c.current_value!r}"
            + (f" (set by {c.set_by.actor_label} via {c.set_by.source_label})" if c.set_by else "")
            for c in conflicts
        )
        super().__init__(f"Someone else changed this in the meantime: {described}.")


@dataclass(frozen=True)
class ValueChange:
    attribute: str
    old: Canonical
    new: Canonical


@dataclass
class ApplyResult:
    version: int
    applied: list[ValueChange] = field(default_factory=list)
    skipped: list[ValueChange] = field(default_factory=list)
    rejected: list[AttributeProblem] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
