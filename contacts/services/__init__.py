"""Every write this app owns, one module per concern: `people` (create, identity, archive,
delete), `links` (company links), `tags`, `segments`, `merge` and `events`. Callers import the
services from here, a name that stays put when modules move."""

from .events import (
    EventInvalid,
    SummaryImport,
    TrackResult,
    event_metadata_clean,
    event_name_clean,
    event_summaries_import,
    event_track,
)
from .links import contact_company_attach, contact_company_detach
from .merge import MergeError, contact_merge, register_merge_step
from .people import contact_archive, contact_create, contact_delete, contact_identity_update
from .segments import (
    SEGMENTS_MAX,
    SegmentLimitReached,
    SegmentNameTaken,
    segment_create,
    segment_delete,
    segment_manageable_by,
    segment_rename,
)
from .tags import TagInUse, contact_tag, contact_untag, tag_delete, tags_apply

__all__ = [
    "EventInvalid",
    "MergeError",
    "SEGMENTS_MAX",
    "SegmentLimitReached",
    "SegmentNameTaken",
    "SummaryImport",
    "TagInUse",
    "TrackResult",
    "contact_archive",
    "contact_company_attach",
    "contact_company_detach",
    "contact_create",
    "contact_delete",
    "contact_identity_update",
    "contact_merge",
    "contact_tag",
    "contact_untag",
    "event_metadata_clean",
    "event_name_clean",
    "event_summaries_import",
    "event_track",
    "register_merge_step",
    "segment_create",
    "segment_delete",
    "segment_manageable_by",
    "segment_rename",
    "tag_delete",
    "tags_apply",
]
