"""Looks right everywhere: dark mode is readable, 390 px screens reflow, long values wrap."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.services import event_track
from qualification.services import qualification_item_add
from qualification.sources import Actor, Source
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    ConversationFactory,
    ConversationPartFactory,
    DataAttributeFactory,
)
from tests.helpers import deliver_pending

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# 200 characters and not one place a browser may break a line.
LONG = ("Pneumonoultramicroscopicsilicovolcanoconiosis" * 5)[:200]
PHONE = {"width": 390, "height": 844}

# What a person reads, and what they read it on: for every visible element with text of its
# own (or a form control), its colour composited over the first opaque background behind it.
CONTRAST = """() => {
  const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return m.length === 3 ? [...m, 1] : m; };
  const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1); };
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const results = [];
  for (const el of document.querySelectorAll('body *')) {
    const control = el.matches('input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]), select, textarea');
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!control && !text) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility !== 'visible' || box.width <= 1 || box.height <= 1 || box.bottom < 0 || box.right < 0 || el.closest('[hidden], .visually-hidden')) continue;
    if (el.disabled) continue;
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    // WCAG's large text (24 px, or 18.66 px bold) needs 3:1, the rest 4.5:1.
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needs = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const ratio = Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
    results.push({element: describe(el), text: (el.innerText || el.value || '').trim().slice(0, 40), ratio, needs});
  }
  return results;
}"""  # noqa: E501

# Anything wider than the viewport, or sticking out past its right edge.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const beyond = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5) beyond.push(describe(el) + ' ' + Math.round(box.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, beyond};
}"""  # noqa: E501


@pytest.fixture
def showcase(teammates):
    """One of everything a page shows, with a 200-character value without spaces in it."""
    for model, name, label in (
        ("contact", "job_title", "Job title"),
        ("company", "account_notes", "Account notes"),
    ):
        qualification_item_add(
            attribute=DataAttributeFactory(model=model, name=name, label=label, data_type="string")
        )
    company = CompanyFactory(values={"name": "Acme " + LONG, "account_notes": LONG})
    contact = ContactFactory(
        values={"name": "Lena " + LONG, "email": "lena@acme.example", "job_title": LONG}
    )
    CompanyMembershipFactory(contact=contact, company=company)
    conversation = ConversationFactory(contact=contact, subject="Export " + LONG)
    ConversationPartFactory(conversation=conversation, body="The export spins: " + LONG)
    ConversationPartFactory(
        conversation=conversation,
        kind="reply",
        body="Try again now: " + LONG,
        author_user=teammates["agent"],
    )
    ConversationPartFactory(
        conversation=conversation,
        kind="note",
        body="Engineering knows: " + LONG,
        author_user=teammates["admin"],
    )
    event_track(
        contact=contact,
        event_name="exported-" + LONG[:150],
        created_at=timezone.now().replace(microsecond=0) - timedelta(minutes=5),
        metadata={"file": LONG},
        source=Source.REST_API,
        actor=Actor("api_token", "1", "Billing"),
    )
    for n in range(3):
        ContactFactory(values={"name": f"Person {n}", "email": f"person{n}@example.com"})
    deliver_pending()
    return {"contact": contact, "company": company, "conversation": conversation}


def product_pages(showcase):
    from qualification.models import DataAttribute

    contact, company = showcase["contact"], showcase["company"]
    job_title = DataAttribute.objects.get(model="contact", name="job_title")
    return {
        "inbox": "/inbox/",
        "conversation": f"/inbox/conversations/{showcase['conversation'].pk}/",
        "contact-list": "/contacts/",
        "contact": f"/contacts/{contact.pk}/",
        "company": f"/companies/{company.pk}/",
        "attribute-history": f"/attributes/contact/{contact.pk}/{job_title.pk}/history/",
        "settings": "/settings/",
        "teammates": "/settings/teammates/",
        "data-attributes": "/settings/data-attributes/",
        "data-attribute": f"/settings/data-attributes/{job_title.pk}/",
        "qualification": "/settings/qualification/",
        "profile": "/settings/profile/",
        "api-tokens": "/settings/api-tokens/",
        "not-found": "/no/such/page/",
    }


def test_dark_mode_and_390px(live_server, login, showcase, screenshot):
    page = login("admin")
    page.emulate_media(color_scheme="dark")
    for name, path in product_pages(showcase).items():
        page.goto(live_server.url + path)
        assert [r for r in page.evaluate(CONTRAST) if r["ratio"] < r["needs"]] == [], name
        screenshot(page, f"dark-{name}")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(PHONE)
    for name, path in product_pages(showcase).items():
        page.goto(live_server.url + path)
        found = page.evaluate(OVERFLOW)
        assert found["scrollWidth"] <= found["innerWidth"] and found["beyond"] == [], name
        screenshot(page, f"narrow-{name}")


def test_signed_out_and_refused_pages_in_dark_mode_and_at_390px(
    browser, live_server, login, teammates, screenshot
):
    """The pages around the product: sign in, signed out, and a 403 for a Viewer."""
    visitor = browser.new_context()
    viewer = login("viewer")
    try:
        for page, name, path in (
            (visitor.new_page(), "login", "/accounts/login/"),
            (visitor.new_page(), "signed-out", "/accounts/signed-out/"),
            (viewer, "forbidden", "/settings/teammates/"),
        ):
            page.emulate_media(color_scheme="dark")
            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(live_server.url + path)
            assert [r for r in page.evaluate(CONTRAST) if r["ratio"] < r["needs"]] == [], name
            screenshot(page, f"dark-{name}")
            page.emulate_media(color_scheme="light")
            page.set_viewport_size(PHONE)
            page.goto(live_server.url + path)
            found = page.evaluate(OVERFLOW)
            assert found["scrollWidth"] <= found["innerWidth"] and found["beyond"] == [], name
            screenshot(page, f"narrow-{name}")
    finally:
        visitor.close()
