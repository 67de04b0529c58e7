"""Every write this app owns, one module per concern:

- `apply`: THE write path for attribute values (`attributes_apply`, `attribute_resync`);
- `validation`: values checked against their data attributes before anything is written;
- `targets`: changes to a contact or company that are not values, announced the same way;
- `definitions`: data attribute definitions; `qualification_list`: the panel's list; `tags`.

Callers import the services from here, a name that stays put when modules move.
"""

from .apply import attribute_resync, attributes_apply, attributes_conflicts
from .definitions import (
    KEEP,
    MAX_OPTIONS,
    DataAttributeError,
    data_attribute_create,
    data_attribute_name_check,
    data_attribute_update,
)
from .qualification_list import (
    qualification_item_add,
    qualification_item_move,
    qualification_item_remove,
)
from .tags import TagNameTaken, tag_find_or_create, tag_named, tag_rename, target_tags_change
from .targets import (
    RecordChange,
    record_conflicts,
    target_created,
    target_deleted,
    target_fields_set,
    target_lock,
    target_record,
    targets_record,
)
from .validation import attributes_check, text_rules

__all__ = [
    "DataAttributeError",
    "KEEP",
    "MAX_OPTIONS",
    "RecordChange",
    "TagNameTaken",
    "attribute_resync",
    "attributes_apply",
    "attributes_check",
    "attributes_conflicts",
    "data_attribute_create",
    "data_attribute_name_check",
    "data_attribute_update",
    "qualification_item_add",
    "qualification_item_move",
    "qualification_item_remove",
    "record_conflicts",
    "tag_find_or_create",
    "tag_named",
    "tag_rename",
    "target_created",
    "target_deleted",
    "target_fields_set",
    "target_lock",
    "target_record",
    "target_tags_change",
    "targets_record",
    "text_rules",
]
