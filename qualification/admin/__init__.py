"""The Django admin for this app, one module per page family. Importing them registers them;
the apps above import AttributeTargetAdmin and ReadOnlyAdmin from here."""

from .data_attributes import DataAttributeAdmin, DataAttributeForm
from .history import AttributeChangeAdmin, AttributeOutboxAdmin, ReadOnlyAdmin
from .qualification_list import QualificationItemAdmin
from .targets import AttributeTargetAdmin, AttributeTargetForm

__all__ = [
    "AttributeChangeAdmin",
    "AttributeOutboxAdmin",
    "AttributeTargetAdmin",
    "AttributeTargetForm",
    "DataAttributeAdmin",
    "DataAttributeForm",
    "QualificationItemAdmin",
    "ReadOnlyAdmin",
]
