"""The settings area's pages, as a registry. Each app registers its own pages from its
AppConfig.ready (workspace never names the apps above it); the navigation and `/settings/` are
built from what is registered, in `order`.

A page is either a workspace page (Admins: it needs `permission`) or a personal one (every
signed-in teammate: `permission` is None). A slot is a page a later release fills: it is listed
so an Admin sees where it will be, and it says plainly that it is not available yet.
"""

from dataclasses import dataclass

from django.urls import reverse

WORKSPACE, PERSONAL = "workspace", "personal"


@dataclass(frozen=True)
class SettingsPage:
    slug: str
    label: str
    description: str
    group: str = WORKSPACE
    # A URL name; None makes the page a slot (not available yet).
    url_name: str | None = None
    # Needed to open the page; None for personal pages.
    permission: str | None = None
    order: int = 100

    @property
    def is_slot(self) -> bool:
        return self.url_name is None

    @property
    def url(self) -> str:
        if self.url_name is None:
            return reverse("settings-slot", args=[self.slug])
        return reverse(self.url_name)

    def allows(self, user) -> bool:
        if not user.is_authenticated or not user.is_active:
            return False
        return self.permission is None or user.has_perm(self.permission)


_pages: dict[str, SettingsPage] = {}


def register_settings_page(page: SettingsPage) -> None:
    """Register `page` under its slug; registering a slug again replaces it (an app fills its
    slot this way)."""
    _pages[page.slug] = page


def settings_page(slug: str) -> SettingsPage | None:
    return _pages.get(slug)


def settings_pages() -> list[SettingsPage]:
    return sorted(_pages.values(), key=lambda page: (page.order, page.label))


def settings_pages_for(user) -> list[SettingsPage]:
    return [page for page in settings_pages() if page.allows(user)]


ADMIN_PERMISSION = "auth.change_user"

# workspace's own pages, and the slots later releases fill.
for _page in (
    SettingsPage(
        "teammates",
        "Teammates",
        "Invite teammates, choose what each role can do, deactivate people who left.",
        url_name="settings-teammates",
        permission=ADMIN_PERMISSION,
        order=10,
    ),
    SettingsPage(
        "api-tokens",
        "API tokens",
        "Tokens for your own product, scripts and integrations to use the REST API.",
        url_name="api-tokens",
        permission="workspace.view_apitoken",
        order=40,
    ),
    SettingsPage(
        "messenger",
        "Messenger",
        "Install the messenger in your product so it keeps user and company data current.",
        order=50,
        permission=ADMIN_PERMISSION,
    ),
    SettingsPage(
        "apps",
        "Apps",
        "Connect Stripe, Mailchimp or your own app so they keep customer data in sync.",
        order=60,
        permission=ADMIN_PERMISSION,
    ),
    SettingsPage(
        "workflows",
        "Workflows",
        "Rules that keep qualification data current automatically.",
        order=70,
        permission=ADMIN_PERMISSION,
    ),
    SettingsPage(
        "imports",
        "Imports",
        "CSV imports of users and leads, and taking an import back.",
        order=80,
        permission=ADMIN_PERMISSION,
    ),
    SettingsPage(
        "profile",
        "Your profile",
        "Your name, time zone and password.",
        group=PERSONAL,
        url_name="settings-profile",
        order=1000,
    ),
):
    register_settings_page(_page)
