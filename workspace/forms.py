from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator

from .profiles import time_zone_choices
from .roles import ROLES
from .tokens import SCOPES

User = get_user_model()


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


ROLE_CHOICES = [(role, role) for role in ROLES]


class TeammateCreateForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="What they type to sign in. Letters, digits and @ . + - _ only.",
        validators=[UnicodeUsernameValidator()],
        error_messages={"required": "Give them a username to sign in with."},
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email",
        required=False,
        error_messages={"invalid": "Enter an email address like ada@example.com."},
    )
    role = forms.ChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        initial="Teammate",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role.", "invalid_choice": "Choose a role."},
    )
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to invite them: you get a link to send, and they choose their own.",
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            probe = User(
                username=cleaned.get("username") or "",
                email=cleaned.get("email") or "",
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class TeammateRoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        error_messages={"required": "Choose a role.", "invalid_choice": "Choose a role."},
    )


class TimeZoneSelect(forms.Select):
    """Marks the "Same as my browser" choice, which settings.js names with the browser's zone
    even before the server has seen it."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value == "":
            option["attrs"]["data-browser-zone"] = ""
        return option


class ProfileForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        widget=TimeZoneSelect,
        help_text="Times are shown and entered in this zone. “Same as my browser” follows the "
        "computer you are using.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    def __init__(self, *args, browser_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        browser = f"Same as my browser ({browser_zone})" if browser_zone else "Same as my browser"
        self.fields["time_zone"].choices = [("", browser), *time_zone_choices()]
