from django.urls import path

from . import views

urlpatterns = [
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/segments/", views.segment_save, name="segment-save"),
]
