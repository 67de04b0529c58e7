"""The browser, OS and language a messenger request comes from, read from its headers. A short
table of the common browsers is enough here: the values are shown beside a person, not used to
decide anything."""

import re

from .boot import Client

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
]
SYSTEMS = [
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
]


def client_from(headers) -> Client:
    agent = headers.get("User-Agent", "")[:500]
    browser = next(
        (f"{name} {m.group(1)}" for name, pattern in BROWSERS if (m := pattern.search(agent))), ""
    )
    system = next((name for name, pattern in SYSTEMS if pattern.search(agent)), "")
    language = headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()[:35]
    return Client(browser=browser, os=system, language=language)
