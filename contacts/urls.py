from django.urls import path

from . import views

urlpatterns = [
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/segments/", views.segment_save, name="segment-save"),
    path("contacts/segments/<int:pk>/rename/", views.segment_rename, name="segment-rename"),
    path("contacts/segments/<int:pk>/delete/", views.segment_delete, name="segment-delete"),
]
