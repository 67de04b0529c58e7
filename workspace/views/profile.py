"""Settings → Your profile: every teammate's own name, time zone and password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from ..forms import ProfileForm
from ..profiles import browser_time_zone, profile_for, profile_update
from .settings_area import settings_context, settings_page_view

PAGE = "workspace/profile.html"


@settings_page_view("profile")
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    browser_zone = browser_time_zone(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, browser_zone=browser_zone)
        if form.is_valid():
            profile_update(user=user, request=request, **form.cleaned_data)
            messages.success(request, "Saved your profile.")
            return redirect("settings-profile")
        status = 422
    else:
        form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "time_zone": profile_for(user).time_zone,
            },
            browser_zone=browser_zone,
        )
        status = 200
    context = request.settings_context | {"title": "Your profile", "form": form}
    return render(request, PAGE, context, status=status)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "workspace/password_change.html"
    success_url = reverse_lazy("settings-profile")

    def dispatch(self, request, *args, **kwargs):
        self.extra_context = {"title": "Change your password"}
        if request.user.is_authenticated:
            self.extra_context |= settings_context(request, "profile")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. Other sessions are signed out.")
        return response


password_change = PasswordChangeView.as_view()
