from django import forms

from .models import IdentityMode, MessengerSettings


class TrustedDomainsForm(forms.Form):
    trusted_domains = forms.CharField(
        label="Trusted domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text="One origin per line, like https://app.example.com. The messenger answers "
        "only pages on these origins; any other site is refused.",
    )

    @classmethod
    def for_settings(cls, settings: MessengerSettings) -> "TrustedDomainsForm":
        return cls(initial={"trusted_domains": "\n".join(settings.trusted_domains)})

    def origins(self) -> list[str]:
        return self.cleaned_data["trusted_domains"].splitlines()


class SecurityForm(forms.Form):
    identity_mode = forms.ChoiceField(
        label="Identity verification",
        choices=IdentityMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how identities are verified."},
    )
    prevent_company_updates = forms.BooleanField(
        label="Prevent company attribute updates on Messenger",
        required=False,
        help_text="Company data from unverified calls is ignored (and recorded), and they link "
        "no user to a company. Company data inside a valid JWT still applies.",
    )
    allow_new_attributes = forms.BooleanField(
        label="Allow custom attributes to be created via Messenger",
        required=False,
        help_text="Off: a value for an attribute that doesn't exist yet is recorded and left "
        "out, so a typo in your product can't add attributes.",
    )

    @classmethod
    def for_settings(cls, settings: MessengerSettings) -> "SecurityForm":
        return cls(
            initial={
                "identity_mode": settings.identity_mode,
                "prevent_company_updates": settings.prevent_company_updates,
                "allow_new_attributes": settings.allow_new_attributes,
            }
        )
