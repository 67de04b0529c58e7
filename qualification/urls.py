from django.urls import path

from . import views

prefix = "<str:target_type>/<int:target_id>/<int:attribute_id>/"

urlpatterns = [
    path(prefix, views.attribute_row, name="attribute-row"),
    path(prefix + "edit/", views.attribute_edit, name="attribute-edit"),
    path(prefix + "resync/", views.attribute_resync_view, name="attribute-resync"),
    path(prefix + "history/", views.attribute_history_view, name="attribute-history"),
]
