from django.urls import path

from . import edits, views

# Tags, added and removed on each page that shows them (before the conversation actions,
# whose pattern would take "tags" for an action).
_tags = []
for _kind, _prefix in [
    ("contact", "contacts"),
    ("company", "companies"),
    ("conversation", "inbox/conversations"),
]:
    _tags += [
        path(f"{_prefix}/<int:pk>/tags/", edits.tag_add, {"kind": _kind}, name=f"{_kind}-tag-add"),
        path(
            f"{_prefix}/<int:pk>/tags/<int:tag_pk>/remove/",
            edits.tag_remove,
            {"kind": _kind},
            name=f"{_kind}-tag-remove",
        ),
    ]

urlpatterns = [
    *_tags,
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/conversations/<int:pk>/", views.conversation, name="conversation"),
    path(
        "inbox/conversations/<int:pk>/parts/",
        views.conversation_part_create,
        name="conversation-part-create",
    ),
    path(
        "inbox/conversations/<int:pk>/<str:action>/",
        views.conversation_action,
        name="conversation-action",
    ),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("companies/<int:pk>/", views.company_detail, name="company-detail"),
    path("contacts/<int:pk>/companies/", edits.contact_company_add, name="contact-company-add"),
    path(
        "contacts/<int:pk>/companies/<int:company_pk>/remove/",
        edits.contact_company_remove,
        name="contact-company-remove",
    ),
    path("companies/suggestions/", edits.company_suggest, name="company-suggest"),
]
