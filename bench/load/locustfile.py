"""The load test's users (bench/load/run.py starts Locust with them; see README.md here).

- Teammate: works the inbox in the browser (signed in beforehand): the inbox list, a
  conversation with its customer's data, the contact list and a contact page, and now and then
  an inline edit of a qualification attribute (the edit form, then the save, htmx-style).
- ApiClient: the customer's product through the REST API: contact updates and reads, searches
  and events.
- Healthz: /healthz as fast as it answers: the same run's ceiling for the stack in front of
  Django (nginx, gunicorn, the middleware), beside which the mix's figures are read.

The ids they use come from run.py in the file named by $SWITCHBOARD_LOAD_FIXTURE.
"""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, task

FIXTURE = json.loads(open(os.environ["SWITCHBOARD_LOAD_FIXTURE"]).read())  # noqa: SIM115
SESSIONS = itertools.cycle(FIXTURE["sessions"])
VERSION = re.compile(r'name="version" value="(\d+)"')


class Teammate(HttpUser):
    weight = 3
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.cookies.set("sessionid", next(SESSIONS))

    @task(4)
    def inbox(self):
        self.client.get("/inbox/", name="/inbox/")

    @task(4)
    def conversation(self):
        pk = random.choice(FIXTURE["conversations"])
        self.client.get(f"/inbox/conversations/{pk}/", name="/inbox/conversations/[id]/")

    @task(2)
    def contact_list(self):
        self.client.get("/contacts/", name="/contacts/")

    @task(2)
    def contact(self):
        pk = random.choice(FIXTURE["contacts"])
        self.client.get(f"/contacts/{pk}/", name="/contacts/[id]/")

    @task(1)
    def inline_edit(self):
        edit = random.choice(FIXTURE["edits"])
        form = self.client.get(edit["edit"], headers={"HX-Request": "true"}, name="edit form")
        found = VERSION.search(form.text or "")
        if not found:
            return
        with self.client.post(
            edit["row"],
            {"value": f"Lead {random.randrange(10**6)}", "version": found.group(1)},
            headers={
                "HX-Request": "true",
                "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
            },
            name="inline save",
            catch_response=True,
        ) as response:
            # Two teammates saving one value at once: the second is offered a choice (409),
            # which is the product working, not an error.
            if response.status_code in (200, 409):
                response.success()


class ApiClient(HttpUser):
    weight = 2
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {FIXTURE['token']}"

    @task(3)
    def update_contact(self):
        pk = random.choice(FIXTURE["contacts"])
        self.client.put(
            f"/api/contacts/{pk}",
            json={"name": f"Load {random.randrange(10**6)}"},
            name="PUT /api/contacts/[id]",
        )

    @task(2)
    def get_contact(self):
        pk = random.choice(FIXTURE["contacts"])
        self.client.get(f"/api/contacts/{pk}", name="GET /api/contacts/[id]")

    @task(2)
    def search(self):
        self.client.post(
            "/api/contacts/search",
            json={
                "query": {
                    "operator": "AND",
                    "value": [
                        {"field": "role", "operator": "=", "value": "user"},
                        {"field": "name", "operator": "~", "value": random.choice("aeiou")},
                    ],
                },
                "pagination": {"per_page": 20},
            },
            name="POST /api/contacts/search",
        )

    @task(1)
    def event(self):
        pk = random.choice(FIXTURE["contacts"])
        with self.client.post(
            "/api/events",
            json={"event_name": "load-test", "created_at": int(time.time()), "id": str(pk)},
            name="POST /api/events",
            catch_response=True,
        ) as response:
            if response.status_code == 202:
                response.success()


class Healthz(HttpUser):
    # run.py names the classes of each stage: this one alone for the ceiling.
    wait_time = between(0, 0)

    @task
    def healthz(self):
        self.client.get("/healthz")
