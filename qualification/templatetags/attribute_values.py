from django import template

from qualification.models import AttributeChange
from qualification.selectors import display_history_value, history_label
from qualification.sources import source_label

register = template.Library()


@register.filter
def history_value(change: AttributeChange, which: str) -> str:
    """A history row's old or new value as the panel would show it ("—" for none)."""
    value = change.old_value if which == "old" else change.new_value
    return display_history_value(change, value, getattr(change, "teammates", None)) or "—"


@register.filter
def source_name(change: AttributeChange) -> str:
    return source_label(change.source)


@register.filter
def change_label(change: AttributeChange) -> str:
    return history_label(change)
