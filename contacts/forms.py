"""The contact list's forms: a new contact. Checks what a person typed and says what is
wrong in plain words, next to the field; the service does the writing."""

from django import forms

from .models import Contact, Role
from .selectors import contact_find


class ContactCreateForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        initial=Role.USER,
        widget=forms.RadioSelect,
        help_text="A user has signed up to your product; a lead has not (yet).",
        error_messages={"required": "Pick User or Lead.", "invalid_choice": "Pick User or Lead."},
    )
    name = forms.CharField(
        label="Name", required=False, max_length=Contact._meta.get_field("name").max_length
    )
    email = forms.EmailField(
        label="Email",
        required=False,
        max_length=Contact._meta.get_field("email").max_length,
        error_messages={
            "invalid": "This is not an email address; it should look like ada@example.com."
        },
    )
    external_id = forms.CharField(
        label="User ID",
        required=False,
        max_length=Contact._meta.get_field("external_id").max_length,
        help_text="Your product's own id for this user, if you know it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The existing user a duplicate email or user ID belongs to, for a link to them.
        self.duplicates: dict[str, Contact] = {}
        for field in self.fields.values():
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = (
                    f"This is too long: at most {field.max_length} characters."
                )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        role, email, external_id = data["role"], data["email"], data["external_id"].strip()
        data["external_id"] = external_id
        if role == Role.LEAD and external_id:
            self.add_error("external_id", "Only users have a user ID; leave it empty for a lead.")
        if not (data["name"].strip() or email or external_id):
            self.add_error(None, "Give at least a name, an email or a user ID.")
        if role == Role.USER:
            # Leads may share an email; users may not (and never a user ID).
            if email and (taken := contact_find(email=email)) is not None:
                self.duplicates["email"] = taken
                self.add_error("email", "A user with this email already exists.")
            if external_id and (taken := contact_find(external_id=external_id)) is not None:
                self.duplicates["external_id"] = taken
                self.add_error("external_id", "A user with this user ID already exists.")
        return data

    def values(self) -> dict:
        """The attribute values to write: only those given."""
        return {
            name: value for name in ("name", "email") if (value := self.cleaned_data[name].strip())
        }
