"""How history names changes to a record that are not attribute values ("Role", "Tags",
"State"). The apps that own those records register their fields from AppConfig.ready, so this
app never names them; only creation and deletion, common to every record, are named here."""

_labels: dict[str, str] = {"created": "Created", "deleted": "Deleted"}


def register_record_fields(labels: dict[str, str]) -> None:
    """Register field name -> label; registering a name again replaces its label."""
    _labels.update(labels)


def record_field_label(name: str) -> str:
    return _labels.get(name, name)
