from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import PartKind

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
        widget=forms.Textarea(attrs={"rows": 4, "aria-describedby": "composer-hint"}),
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
        # Only teammates who can reply (inbox.selectors.teammates says who).
        self.fields["assignee"].choices = [("", "Unassigned")] + [
            (u.pk, u.get_full_name() or u.get_username()) for u in teammates if u.can_be_assigned
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
