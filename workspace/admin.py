from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken
from .tokens import SCOPES, ApiTokenNameTaken, api_token_create, api_token_revoke

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TeammateAdmin(UserAdmin):
    """Teammates with their role (a group: Viewer, Teammate or Admin) in plain sight."""

    list_display = ("username", "full_name", "email", "role", "is_active", "last_login")
    list_filter = ("groups", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Name")
    def full_name(self, obj) -> str:
        return obj.get_full_name()

    @admin.display(description="Role")
    def role(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "No role (no access)"


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may read or write.",
    )

    class Meta:
        model = ApiToken
        fields = ("name", "scopes")

    def clean_name(self):
        # Model validation skips the active-name constraint (it reads revoked_at, which this
        # form leaves out), so ask here; the constraint itself still guards against a race.
        name = self.cleaned_data["name"]
        if ApiToken.objects.filter(name__iexact=name, revoked_at__isnull=True).exists():
            raise forms.ValidationError(str(ApiTokenNameTaken(name)))
        return name


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: made here (the secret is shown once, then only its digest is kept),
    revoked with the action; a token is never edited."""

    form = ApiTokenForm
    list_display = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    actions = ("revoke",)

    def get_readonly_fields(self, request, obj=None):
        return (
            ("name", "prefix", "scopes", "created_by", "created_at", "last_used_at") if obj else ()
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "scopes")
        return (
            "name",
            "prefix",
            "scopes",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        )

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="Scopes")
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes)

    def save_model(self, request, obj, form, change):
        token, secret = api_token_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
        )
        obj.pk = token.pk
        messages.warning(
            request,
            f"Token “{token.name}”: {secret} — copy it now, it will not be shown again.",
        )

    # Revoking needs the change permission, as on the settings page.
    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
