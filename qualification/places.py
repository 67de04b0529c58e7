"""Where in the product a teammate made a manual edit: "in conversation #96", "on the contact
page", "in settings". The apps above register their pages by URL name from `AppConfig.ready`;
this app never names them. The place is worked out from the page the edit was made on."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve


@dataclass(frozen=True)
class Place:
    preposition: str  # "in", "on"
    name: str  # "conversation #96", "the contact page"
    url: str

    @property
    def where(self) -> str:
        return f"{self.preposition} {self.name}"


_PLACES: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {}
_PREFIXES = {"/settings/": ("in", "settings"), "/admin/": ("in", "the admin")}


def place_register(url_name: str, describe: Callable[[dict[str, Any]], tuple[str, str]]) -> None:
    """`describe(url kwargs)` answers (preposition, name), e.g. ("in", "conversation #96")."""
    _PLACES[url_name] = describe


def place_of(url: str) -> Place | None:
    """The place a page's URL (a path, with or without a query) names; None if unknown. Only
    the path is kept: it is stored and shown as a link, so nothing else of the URL is."""
    path = urlsplit(url).path
    if not path.startswith("/") or path.startswith("//"):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is not None and match.url_name in _PLACES:
        preposition, name = _PLACES[match.url_name](match.kwargs)
        return Place(preposition, name, path)
    for prefix, (preposition, name) in _PREFIXES.items():
        if path.startswith(prefix):
            return Place(preposition, name, path)
    return None
