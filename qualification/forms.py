from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.numbers import POINT, NumberNotRead, NumberStyle, read_number

from .models import AttributeTarget, DataAttribute, DataType, Precedence
from .selectors import AttributeRow
from .services import text_rules
from .values import format_datetime


def _value_field(
    attribute: DataAttribute, row: AttributeRow, model: type[AttributeTarget] | None
) -> forms.Field:
    """A typed input for the attribute. Parsing and validation stay with the write path; the
    field only collects text (or a choice) in the shape the browser offers. Numbers are plain
    text inputs: a number input sends nothing at all for text it cannot read, and saving that
    would erase the value without a word."""
    attrs = {"autofocus": True, "id": f"{row.dom_id}-input", "autocomplete": "off"}
    match attribute.data_type:
        case DataType.INTEGER if attribute.is_standard and attribute.name == "owner_id":
            # The current owner stays selectable even if they left, so Save doesn't clear it.
            teammates = (
                get_user_model()
                .objects.filter(Q(is_active=True) | Q(pk=row.value or 0))
                .order_by("first_name")
            )
            choices = [("", "Nobody")] + [
                (str(u.pk), u.get_full_name() or u.get_username()) for u in teammates
            ]
            return forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs))
        case DataType.INTEGER:
            return forms.CharField(
                required=False, widget=forms.TextInput(attrs | {"inputmode": "numeric"})
            )
        case DataType.FLOAT:
            return forms.CharField(
                required=False, widget=forms.TextInput(attrs | {"inputmode": "decimal"})
            )
        case DataType.BOOLEAN:
            # Three states, not a checkbox: "unknown" is a value too, and a checkbox could only
            # ever save false for it.
            choices = [("", "Unknown"), ("true", "Yes"), ("false", "No")]
            return forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs))
        case DataType.DATE:
            return forms.CharField(required=False, widget=forms.DateInput(attrs | {"type": "date"}))
        case DataType.DATETIME:
            zone = timezone.get_current_timezone_name().replace("_", " ")
            return forms.CharField(
                required=False,
                widget=forms.DateTimeInput(attrs | {"type": "datetime-local", "step": "1"}),
                help_text=f"In your time zone, {zone}.",
            )
        case DataType.OPTIONS:
            choices = [("", "No value")] + [(o, o) for o in attribute.options]
            # A stored value that is no longer an option stays visible until it is changed.
            if row.value and row.value not in attribute.options:
                choices.append((row.value, f"{row.value} (no longer an option)"))
            return forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs))
    # Text: its limit is shown (and kept by the browser) before anything is sent.
    limit = text_rules(model, attribute).max_length if model else None
    if limit:
        attrs |= {"maxlength": str(limit), "data-char-limit": str(limit)}
    help_text = f"{limit:,} characters at most." if limit else ""
    widget = forms.EmailInput(attrs) if attribute.name == "email" else forms.TextInput(attrs)
    return forms.CharField(required=False, widget=widget, help_text=help_text)


def _initial(row: AttributeRow, style: NumberStyle = POINT):
    if row.value is None:
        return ""
    match row.attribute.data_type:
        case DataType.BOOLEAN:
            return "true" if row.value else "false"
        case DataType.DATETIME:
            return timezone.localtime(row.value_as_datetime).strftime("%Y-%m-%dT%H:%M:%S")
        case DataType.FLOAT:
            return style.write(row.value)
    return row.value


class AttributeValueForm(forms.Form):
    """Edits one attribute's value; `version` is the target version the teammate saw. Times
    are typed in the teammate's zone (the one active for the request) and numbers in their
    browser's style (`number_style`); `raw_value` is what the write path takes."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args,
        row: AttributeRow,
        model: type[AttributeTarget] | None = None,
        number_style: NumberStyle = POINT,
        **kwargs,
    ):
        self.row, self.number_style = row, number_style
        kwargs.setdefault(
            "initial", {"value": _initial(row, number_style), "version": row.target_version}
        )
        super().__init__(*args, **kwargs)
        self.fields["value"] = _value_field(row.attribute, row, model)
        self.fields["value"].label = row.attribute.label

    def clean_value(self):
        value = self.cleaned_data.get("value")
        data_type = self.row.attribute.data_type
        owner = self.row.attribute.is_standard and self.row.attribute.name == "owner_id"
        if data_type in (DataType.INTEGER, DataType.FLOAT) and not owner and value.strip():
            try:
                return read_number(value, self.number_style, whole=data_type == DataType.INTEGER)
            except NumberNotRead as exc:
                raise forms.ValidationError(f"{self.row.attribute.label} {exc}.") from None
        return value

    def raw_value(self):
        """The submitted value as the write path should parse it."""
        value = self.cleaned_data.get("value")
        if self.row.attribute.data_type == DataType.DATETIME and value:
            return self._moment(value)
        return value

    def _moment(self, value: str):
        # Saving what the form showed keeps the stored value as it is (to its second).
        if self.row.value and value == _initial(self.row):
            return self.row.value
        moment = parse_datetime(value)
        if moment is None:
            return value  # the write path refuses it, in words
        if timezone.is_naive(moment):
            # datetime-local sends no zone: the time was typed in the teammate's.
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        return format_datetime(moment)


# Settings → Data attributes ----------------------------------------------------------------------

# Who may write an attribute, in a person's words: one line per write-policy flag, with `{label}`
# for the attribute's label. The flags are qualification.sources' policy fields.
POLICY_WORDS = {
    "ui_writable": (
        "Teammates",
        "Teammates can edit {label} beside conversations and on contact and company pages.",
    ),
    "api_writable": ("REST API", "Your app can set {label} through the REST API."),
    "messenger_writable": (
        "Messenger",
        "The messenger in your product can set {label} from your users' browsers. Anyone can "
        "change what their own browser sends, so leave this off for data you rely on.",
    ),
    "messenger_verified_only": (
        "Require verified updates",
        "Only messenger calls your server signed (a user_hash or a "
        "JWT) can set {label}; unverified values are ignored and recorded.",
    ),
    "import_writable": ("CSV imports", "CSV imports can set {label}."),
    "workflow_writable": ("Workflows", "Workflows can set {label}."),
    "apps_writable": ("Apps", "Connected apps (Stripe, Mailchimp or your own) can set {label}."),
}
PRECEDENCE_WORDS = {
    Precedence.APP_WINS: (
        "App data wins",
        "If your app sends {label}, it replaces a teammate's edit.",
    ),
    Precedence.MANUAL_WINS: (
        "Manual edits win",
        "If a teammate edits {label}, what your app sends later is held back and shown beside "
        "the field until someone chooses “Re-sync with the app”.",
    ),
}


def policy_summary(attribute: DataAttribute) -> str:
    """Who may write `attribute`, short: "Teammates, REST API · app data wins"."""
    writers = [
        short
        for f, (short, _) in POLICY_WORDS.items()
        if getattr(attribute, f) and f != "messenger_verified_only"
    ]
    if attribute.messenger_writable and attribute.messenger_verified_only:
        writers[writers.index("Messenger")] = "Messenger (verified only)"
    precedence = PRECEDENCE_WORDS[attribute.precedence][0].lower()
    return f"{', '.join(writers) or 'Nobody'} · {precedence}"


class DataAttributeSettingsForm(forms.Form):
    """Create or change a data attribute on the settings page. It only collects what the
    person typed: every rule is the services' (data_attribute_create / _update, asked with
    check_only=True first), so the page refuses exactly what the REST API refuses, beside the
    field it is about. A list attribute's options come as repeated `options` inputs."""

    name = forms.CharField(
        label="API name",
        required=False,
        help_text="What your app, the messenger and CSV imports call it. It can't change later.",
        widget=forms.TextInput(attrs={"maxlength": 190, "autocomplete": "off"}),
    )
    label = forms.CharField(
        required=False,
        help_text="What teammates see.",
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "off"}),
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500})
    )
    data_type = forms.ChoiceField(
        label="Type",
        choices=DataType.choices,
        help_text="It can't change later: stored values must keep fitting it.",
        error_messages={"invalid_choice": "Choose one of the types in the list."},
    )
    precedence = forms.ChoiceField(
        label="When your app and a teammate disagree",
        choices=Precedence.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose which wins: app data or manual edits.",
            "invalid_choice": "Choose which wins: app data or manual edits.",
        },
    )

    def __init__(self, data=None, *, model: str, instance: DataAttribute | None = None):
        self.model, self.instance = model, instance
        initial: dict = {"precedence": Precedence.APP_WINS, "data_type": DataType.STRING}
        defaults = instance or DataAttribute()
        for field in POLICY_WORDS:
            initial[field] = getattr(defaults, field)
        if instance is not None:
            initial |= {
                "name": instance.name,
                "label": instance.label,
                "description": instance.description,
                "data_type": instance.data_type,
                "precedence": instance.precedence,
            }
        super().__init__(data, initial=initial)
        for field in POLICY_WORDS:
            self.fields[field] = forms.BooleanField(required=False)
        if instance is not None:
            # The API name and type of an existing attribute never change.
            del self.fields["name"], self.fields["data_type"]
        self.options_errors: list[str] = []
        if data is not None:
            self.options = [o.strip() for o in data.getlist("options") if o.strip()]
        else:
            self.options = list(instance.options) if instance is not None else []

    # What the page shows ---------------------------------------------------------------------

    @property
    def shown_label(self) -> str:
        """The attribute's label for messages and examples: as typed, as saved, or a stand-in."""
        typed = (self.data.get("label") or "").strip() if self.is_bound else ""
        if typed:
            return typed
        if self.instance is not None:
            return self.instance.label
        return (self.data.get("name") or "").strip() if self.is_bound else ""

    @property
    def data_type_value(self) -> str:
        if self.instance is not None:
            return self.instance.data_type
        return self["data_type"].value() or DataType.STRING

    @property
    def options_editable(self) -> bool:
        return self.instance is None or (
            self.instance.data_type == DataType.OPTIONS and not self.instance.is_standard
        )

    def policy_rows(self) -> list[dict]:
        label = self.shown_label or "this attribute"
        return [
            {
                "field": self[field],
                "short": short,
                "words": words.format(label=label),
            }
            for field, (short, words) in POLICY_WORDS.items()
        ]

    def precedence_rows(self) -> list[dict]:
        label = self.shown_label or "Plan"
        current = self["precedence"].value()
        return [
            {
                "value": value,
                "short": short,
                "words": words.format(label=label),
                "checked": current == value,
            }
            for value, (short, words) in PRECEDENCE_WORDS.items()
        ]

    # Checking and saving ---------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self._has_options and not self._options_plain():
            self.add_error(None, "Nothing was saved: check the options below.")
            return cleaned
        from .services import DataAttributeError, data_attribute_create, data_attribute_update

        try:
            if self.instance is None:
                data_attribute_create(**self.service_arguments(), check_only=True)
            else:
                data_attribute_update(
                    attribute=self.instance, **self.service_arguments(), check_only=True
                )
        except DataAttributeError as exc:
            self.add_service_error(exc)
        return cleaned

    @property
    def _has_options(self) -> bool:
        if self.instance is not None:
            return self.options_editable
        return self.cleaned_data.get("data_type") == DataType.OPTIONS

    def _options_plain(self) -> bool:
        """The options' rules, said with the attribute's label (the service says them in the
        REST API's words)."""
        from .services.definitions import MAX_OPTIONS, MIN_OPTIONS

        label = self.shown_label or "A list attribute"
        seen: set[str] = set()
        for option in self.options:
            if option in seen:
                self.options_errors.append(
                    f"{label} lists “{option}” twice: each option may appear only once."
                )
                return False
            seen.add(option)
        if len(self.options) < MIN_OPTIONS:
            self.options_errors.append(
                f"{label} needs at least {MIN_OPTIONS} options, one per row."
            )
        elif len(self.options) > MAX_OPTIONS:
            self.options_errors.append(f"{label} can have at most {MAX_OPTIONS} options.")
        return not self.options_errors

    def add_service_error(self, exc) -> None:
        """Show a service's refusal beside the field it is about."""
        if exc.field == "options":
            self.options_errors.append(exc.message)
            # A form with options errors is not valid either.
            self.add_error(None, "Nothing was saved: check the options below.")
        elif exc.field in self.fields:
            self.add_error(exc.field, exc.message)
        else:
            self.add_error(None, exc.message)

    def service_arguments(self) -> dict:
        cleaned = self.cleaned_data
        arguments: dict = {
            "label": cleaned.get("label") or "",
            "description": cleaned.get("description", ""),
            "policy": {f: bool(cleaned.get(f)) for f in POLICY_WORDS},
            "precedence": cleaned.get("precedence"),
        }
        if self.instance is None:
            arguments |= {
                "model": self.model,
                "name": cleaned.get("name") or "",
                "data_type": cleaned.get("data_type"),
            }
            if cleaned.get("data_type") == DataType.OPTIONS:
                arguments["options"] = self.options
            if not arguments["label"]:
                arguments.pop("label")  # the service takes the name
        elif self.options_editable:
            arguments["options"] = self.options
        return arguments

    def full_clean(self):
        super().full_clean()
        # Each field with an error points at it, for screen readers.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs |= {
                    "aria-invalid": "true",
                    "aria-describedby": f"id_{name}-errors",
                }
