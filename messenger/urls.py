from django.urls import path

from . import views

urlpatterns = [
    path("messenger/messenger.js", views.script_view, name="messenger-script"),
    path("messenger/api/boot", views.boot_view, name="messenger-boot"),
    path("messenger/api/events", views.event_view, name="messenger-event"),
]
