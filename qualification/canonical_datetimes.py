"""For data migrations: rewrite stored custom datetime values in their canonical form. It works
on the historical models a migration passes in, and repeats the canonical form itself, so
the migrations mean the same thing whatever becomes of qualification.values."""

from datetime import UTC

from django.utils.dateparse import parse_datetime

BATCH = 2000


def datetime_attributes(apps, model: str) -> list[str]:
    DataAttribute = apps.get_model("qualification", "DataAttribute")
    return list(
        DataAttribute.objects.filter(
            model=model, data_type="datetime", is_standard=False
        ).values_list("name", flat=True)
    )


def canonical(text):
    moment = parse_datetime(text) if isinstance(text, str) else None
    if moment is None:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def rewrite(model, names: list[str]) -> None:
    """Rewrite the values of these custom attributes where they are not canonical."""
    for name in names:
        rows = model.objects.filter(custom_attributes__has_key=name).order_by("pk")
        last = None
        while True:
            batch = list((rows.filter(pk__gt=last) if last is not None else rows)[:BATCH])
            if not batch:
                break
            last = batch[-1].pk
            changed = []
            for row in batch:
                value = row.custom_attributes.get(name)
                fixed = canonical(value)
                if fixed != value:
                    row.custom_attributes = {**row.custom_attributes, name: fixed}
                    changed.append(row)
            model.objects.bulk_update(changed, ["custom_attributes"])
