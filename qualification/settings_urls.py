"""Settings → Data attributes and Settings → Qualification data. Included in config/urls.py
before workspace's catch-all settings slot."""

from django.urls import path

from . import settings_views as views

urlpatterns = [
    path("settings/data-attributes/", views.data_attributes, name="settings-data-attributes"),
    path(
        "settings/data-attributes/new/",
        views.data_attribute_new,
        name="settings-data-attribute-new",
    ),
    path(
        "settings/data-attributes/<int:pk>/",
        views.data_attribute_edit,
        name="settings-data-attribute",
    ),
    path(
        "settings/data-attributes/<int:pk>/archive/",
        views.data_attribute_archive,
        name="settings-data-attribute-archive",
    ),
    path("settings/qualification/", views.qualification_settings, name="settings-qualification"),
    path("settings/qualification/add/", views.qualification_add, name="settings-qualification-add"),
    path(
        "settings/qualification/<int:pk>/move/",
        views.qualification_move,
        name="settings-qualification-move",
    ),
    path(
        "settings/qualification/<int:pk>/remove/",
        views.qualification_remove,
        name="settings-qualification-remove",
    ),
]
