from django.urls import path

from . import views

urlpatterns = [
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
]
