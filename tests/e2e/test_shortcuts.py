"""Working fast: keyboard shortcuts (listed on "?"), and saves that show their progress and
their failures next to the field."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Contact
from inbox.models import ConversationPart, PartKind
from tests.factories import ContactFactory, ConversationFactory, ConversationPartFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(teammates):
    """Four open conversations, newest first: three assigned to the agent, one (second newest)
    to nobody."""
    now = timezone.now()
    made = {}
    for minutes, subject, assignee in [
        (1, "First mine", teammates["agent"]),
        (2, "Not mine", None),
        (3, "Second mine", teammates["agent"]),
        (4, "Third mine", teammates["agent"]),
    ]:
        contact = ContactFactory(values={"name": f"{subject} customer"})
        made[subject] = ConversationFactory(
            contact=contact,
            subject=subject,
            assignee=assignee,
            last_activity_at=now - timedelta(minutes=minutes),
        )
        ConversationPartFactory(conversation=made[subject], body=f"Help with {subject}")
    return made


def heading(page, subject):
    return page.get_by_role("heading", name=subject, level=1)


def open_conversation(page, live_server, conversation):
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    expect(heading(page, conversation.subject)).to_be_visible()


def test_j_and_k_step_through_the_filtered_inbox_and_the_inbox_link_keeps_the_filters(
    live_server, login, inbox, screenshot
):
    page = login("agent")
    page.goto(f"{live_server.url}/inbox/?assignee=mine")
    expect(page.get_by_text("3 conversations")).to_be_visible()
    # In the list, j and k move through the conversations; Enter opens one.
    page.keyboard.press("j")
    expect(page.get_by_role("link", name="First mine")).to_be_focused()
    page.keyboard.press("j")
    expect(page.get_by_role("link", name="Second mine")).to_be_focused()
    page.keyboard.press("k")
    expect(page.get_by_role("link", name="First mine")).to_be_focused()
    page.keyboard.press("Enter")
    expect(heading(page, "First mine")).to_be_visible()

    page.keyboard.press("j")  # skips "Not mine": it is not in this filtered list
    expect(heading(page, "Second mine")).to_be_visible()
    page.keyboard.press("j")
    expect(heading(page, "Third mine")).to_be_visible()
    expect(page.get_by_role("link", name="Next conversation")).to_have_count(0)
    page.keyboard.press("j")  # the end of the list: nothing happens
    page.keyboard.press("k")
    expect(heading(page, "Second mine")).to_be_visible()
    screenshot(page, "conversation-with-previous-and-next")

    page.get_by_role("link", name="← Inbox").click()
    expect(page).to_have_url(re.compile(r"/inbox/\?assignee=mine$"))
    expect(page.get_by_label("Assignee")).to_have_value("mine")
    expect(page.get_by_role("link", name="Not mine")).to_have_count(0)


def test_g_i_and_g_c_go_to_the_inbox_and_contacts(live_server, login, inbox):
    page = login("agent")
    page.keyboard.press("g")
    page.keyboard.press("c")
    expect(page).to_have_url(f"{live_server.url}/contacts/")
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    page.keyboard.press("g")
    page.keyboard.press("i")
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    # While typing, the same keys are just text.
    search = page.get_by_label("Search")
    search.click()
    page.keyboard.type("gc")
    expect(search).to_have_value("gc")
    expect(page).to_have_url(re.compile(r"/inbox/"))


def test_r_replies_and_n_notes_and_ctrl_enter_sends_them(live_server, login, inbox):
    conversation = inbox["First mine"]
    page = login("agent")
    open_conversation(page, live_server, conversation)
    box = page.get_by_role("textbox", name="Message")
    page.keyboard.press("r")
    expect(box).to_be_focused()
    expect(page.get_by_text("Writing a reply: Ctrl+Enter sends it")).to_be_visible()
    page.keyboard.type("just a quick reply")  # j, k, r, n, e, g are text here
    expect(box).to_have_value("just a quick reply")
    page.keyboard.press("Control+Enter")
    thread = page.get_by_role("list", name="Messages")
    expect(thread.get_by_role("listitem", name="Reply from Priya Raman")).to_contain_text(
        "just a quick reply"
    )
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()  # ready for the next one
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")

    page.get_by_role("textbox", name="Message").blur()
    page.keyboard.press("n")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    expect(page.get_by_text("Writing an internal note: Ctrl+Enter adds it")).to_be_visible()
    page.keyboard.type("needs engineering")
    page.keyboard.press("Control+Enter")
    expect(thread.get_by_role("listitem", name="Note from Priya Raman")).to_contain_text(
        "needs engineering"
    )
    parts = ConversationPart.objects.filter(conversation=conversation).order_by("created_at", "id")
    assert [(p.kind, p.body) for p in parts][1:] == [
        (PartKind.REPLY, "just a quick reply"),
        (PartKind.NOTE, "needs engineering"),
    ]


def test_e_edits_the_first_qualification_field_and_esc_closes_it(live_server, login, inbox):
    conversation = inbox["First mine"]
    page = login("agent")
    open_conversation(page, live_server, conversation)
    page.keyboard.press("e")
    expect(page.get_by_role("form", name="Edit Name")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type(" changed")
    page.keyboard.press("Escape")
    expect(page.get_by_role("form", name="Edit Name")).to_have_count(0)
    expect(page.get_by_role("group", name="Name", exact=True)).to_contain_text(
        "First mine customer"
    )
    # Esc also closes an editor that no longer has the focus.
    page.keyboard.press("e")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    heading(page, "First mine").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("form", name="Edit Name")).to_have_count(0)
    assert Contact.objects.get(pk=conversation.contact_id).name == "First mine customer"


def test_question_mark_lists_the_shortcuts_in_a_dialog(live_server, login, inbox, screenshot):
    page = login("agent")
    open_conversation(page, live_server, inbox["First mine"])
    back = page.get_by_role("link", name="← Inbox")
    back.focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    # Every shortcut, its keys beside what it does.
    expect(dialog.locator("dt")).to_have_text(
        ["?", "j", "k", "g then i", "g then c", "r", "n", "Ctrl + Enter", "e", "Esc"]
    )
    expect(dialog.locator("dd")).to_have_text(
        [
            "Show these shortcuts",
            "Next conversation (in the inbox's current filters)",
            "Previous conversation",
            "Go to the inbox",
            "Go to contacts",
            "Reply to the customer",
            "Write an internal note",
            "Send the reply or note (in the message box)",
            "Edit the first qualification field",
            "Close the editor or this dialog",
        ]
    )
    screenshot(page, "keyboard-shortcuts")
    page.keyboard.press("j")  # the dialog is modal: no shortcut acts behind it
    expect(heading(page, "First mine")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(back).to_be_focused()
    page.keyboard.press("?")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(back).to_be_focused()


# Saving --------------------------------------------------------------------------------------


def test_a_save_in_flight_disables_its_button_and_a_failed_one_says_so_by_the_field(
    live_server, login, inbox, screenshot
):
    conversation = inbox["First mine"]
    page = login("agent")
    open_conversation(page, live_server, conversation)
    held, mode = [], {"now": "hold"}

    def intercept(route):
        if route.request.method != "POST":
            route.continue_()
        elif mode["now"] == "hold":
            held.append(route)
        elif mode["now"] == "drop":
            route.abort("connectionfailed")
        else:
            route.fulfill(status=500, body="Server Error")

    page.route("**/attributes/**", intercept)
    page.get_by_role("button", name="Edit Name").click()
    field = page.get_by_role("textbox", name="Name", exact=True)
    field.fill("Lena Held")
    form = page.get_by_role("form", name="Edit Name")
    save = form.get_by_role("button", name="Save")
    save.click()
    expect(save).to_be_disabled()
    expect(form).to_have_attribute("aria-busy", "true")
    screenshot(page, "saving-in-progress")
    held.pop().continue_()
    expect(page.get_by_role("group", name="Name", exact=True)).to_contain_text("Lena Held")

    page.get_by_role("button", name="Edit Name").click()
    field.fill("Lena Dropped")
    mode["now"] = "drop"
    save.click()
    expect(form.get_by_role("alert")).to_have_text(
        "Couldn't save: the server did not answer. Your value is still here; try again."
    )
    expect(field).to_have_value("Lena Dropped")
    expect(save).to_be_enabled()
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#sb-alert")).to_be_hidden()  # said by the field, not atop the page
    screenshot(page, "saving-failed")

    mode["now"] = "fail"
    save.click()
    expect(form.get_by_role("alert")).to_have_text(
        "Couldn't save: something went wrong on the server (500). Your value is still here; "
        "try again."
    )
    expect(field).to_have_value("Lena Dropped")
    expect(page.locator("#sb-alert")).to_be_hidden()

    page.unroute("**/attributes/**")
    save.click()
    expect(page.get_by_role("group", name="Name", exact=True)).to_contain_text("Lena Dropped")
    assert Contact.objects.get(pk=conversation.contact_id).name == "Lena Dropped"


def test_a_message_that_could_not_be_sent_stays_in_the_box(live_server, login, inbox):
    conversation = inbox["First mine"]
    page = login("agent")
    open_conversation(page, live_server, conversation)
    page.route("**/parts/", lambda route: route.abort("connectionfailed"))
    page.keyboard.press("r")
    page.keyboard.type("Are you still there?")
    page.keyboard.press("Control+Enter")
    composer = page.locator("form.sb-composer")
    expect(composer.get_by_role("alert")).to_have_text(
        "Couldn't send: the server did not answer. Your message is still here; try again."
    )
    expect(page.get_by_role("textbox", name="Message")).to_have_value("Are you still there?")
    expect(composer.get_by_role("button", name="Send reply")).to_be_enabled()
    assert ConversationPart.objects.filter(conversation=conversation).count() == 1
