"""The Django admin for this app, one module per page family. Importing them registers them;
the apps above import AttributeTargetAdmin and ReadOnlyAdmin from here."""

from .data_attributes import DataAttributeAdmin, QualificationItemAdmin
from .history import AttributeChangeAdmin, AttributeOutboxAdmin, ReadOnlyAdmin
from .targets import AttributeTargetAdmin, AttributeTargetForm

__all__ = [
    "AttributeChangeAdmin",
    "AttributeOutboxAdmin",
    "AttributeTargetAdmin",
    "AttributeTargetForm",
    "DataAttributeAdmin",
    "QualificationItemAdmin",
    "ReadOnlyAdmin",
]
