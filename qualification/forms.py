from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import DataAttribute, DataType
from .selectors import AttributeRow


def _value_field(attribute: DataAttribute, row: AttributeRow) -> forms.Field:
    """A typed input for the attribute. Parsing and validation stay with the write path; the
    field only collects text (or a choice) in the shape the browser offers."""
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
            return forms.CharField(required=False, widget=forms.NumberInput(attrs | {"step": "1"}))
        case DataType.FLOAT:
            return forms.CharField(
                required=False, widget=forms.NumberInput(attrs | {"step": "any"})
            )
        case DataType.BOOLEAN:
            # Three states, not a checkbox: "unknown" is a value too, and a checkbox could only
            # ever save false for it.
            choices = [("", "Unknown"), ("true", "Yes"), ("false", "No")]
            return forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs))
        case DataType.DATE:
            return forms.CharField(required=False, widget=forms.DateInput(attrs | {"type": "date"}))
        case DataType.DATETIME:
            return forms.CharField(
                required=False,
                widget=forms.DateTimeInput(attrs | {"type": "datetime-local", "step": "1"}),
                help_text="In UTC.",
            )
        case DataType.OPTIONS:
            choices = [("", "No value")] + [(o, o) for o in attribute.options]
            # A stored value that is no longer an option stays visible until it is changed.
            if row.value and row.value not in attribute.options:
                choices.append((row.value, f"{row.value} (no longer an option)"))
            return forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs))
    if attribute.name == "email":
        return forms.CharField(required=False, widget=forms.EmailInput(attrs))
    return forms.CharField(required=False, widget=forms.TextInput(attrs))


def _initial(row: AttributeRow):
    if row.value is None:
        return ""
    if row.attribute.data_type == DataType.BOOLEAN:
        return "true" if row.value else "false"
    if row.attribute.data_type == DataType.DATETIME:
        return row.value_as_datetime.strftime("%Y-%m-%dT%H:%M:%S")
    return row.value


def unchanged_datetime(row: AttributeRow, posted) -> bool:
    """The form shows datetimes to the second; saving what it showed must not drop the
    stored fraction of a second (and with it the app's provenance)."""
    if row.attribute.data_type != DataType.DATETIME or not posted or not row.value:
        return False
    return _initial(row) == str(posted).removesuffix("Z")[:19]


class AttributeValueForm(forms.Form):
    """Edits one attribute's value; `version` is the target version the teammate saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, row: AttributeRow, **kwargs):
        kwargs.setdefault("initial", {"value": _initial(row), "version": row.target_version})
        super().__init__(*args, **kwargs)
        self.row = row
        self.fields["value"] = _value_field(row.attribute, row)
        self.fields["value"].label = row.attribute.label

    def raw_value(self):
        """The submitted value as the write path should parse it."""
        value = self.cleaned_data.get("value")
        if self.row.attribute.data_type == DataType.DATETIME and value:
            # datetime-local sends no zone; the form says the time is in UTC.
            return value if value.endswith("Z") or "+" in value[10:] else f"{value}Z"
        return value
