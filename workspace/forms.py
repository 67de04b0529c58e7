from django import forms

from .tokens import SCOPES


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
