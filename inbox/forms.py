from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import PartKind
from .tokens import SCOPES

# The longest message a part may hold, from the composer or the REST API.
BODY_MAX_LENGTH = 20_000

SNOOZE_CHOICES = [
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("tomorrow", "Tomorrow, 9:00"),
    ("week", "Next week"),
]


class PartForm(forms.Form):
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=BODY_MAX_LENGTH,
        error_messages={"required": "Write something before sending."},
    )
    kind = forms.ChoiceField(choices=[(PartKind.REPLY, "Reply"), (PartKind.NOTE, "Note")])


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label="Assignee", coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, teammates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Unassigned")] + [
            (u.pk, u.get_full_name() or u.get_username()) for u in teammates
        ]


class SnoozeForm(forms.Form):
    until = forms.ChoiceField(label="Snooze for", choices=SNOOZE_CHOICES)

    def snooze_until(self):
        now = timezone.localtime()
        match self.cleaned_data["until"]:
            case "1h":
                return now + timedelta(hours=1)
            case "4h":
                return now + timedelta(hours=4)
            case "tomorrow":
                return (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        return now + timedelta(days=7)


class ApiTokenCreateForm(forms.Form):
    """The settings page's create form; the scope grid is written out in the template."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, e.g. “Zapier” or “Billing sync”.",
        error_messages={
            "required": "Give the token a name, so you can tell later what uses it.",
            "max_length": "Keep the name to %(limit_value)d characters or fewer.",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        choices=[(s, s) for s in SCOPES],
        error_messages={
            "required": "Tick at least one scope: what the token may read or write.",
            "invalid_choice": "“%(value)s” is not a scope.",
        },
    )
