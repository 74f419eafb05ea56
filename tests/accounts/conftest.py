"""Customers made the way customers make themselves: through the sign-up page."""

import pytest
from django.test import Client

from hippocratic.accounts.models import Customer, Service
from hippocratic.enforcement.actors import Actor

PASSWORD = "a long and unusual passphrase 7"
SYSTEM = Actor.system("tests")

ADA = {
    "name": "Ada Lovelace", "email": "ada@lovelace.example", "phone": "+44 20 7946 0018",
    "address": "12 St James's Square, London", "company": "Analytical Engines Ltd",
    "domain_name": "analytical-engines.example", "title": "Countess",
    "department": "Mathematics", "fax": "+44 20 7946 0019",
}  # fmt: skip
GRACE = {
    "name": "Grace Hopper", "email": "grace@hopper.example", "phone": "+1 212 555 0142",
    "address": "Arlington, Virginia", "company": "Compilers Inc",
    "domain_name": "hopper-compilers.example", "title": "Rear Admiral",
    "department": "Programming", "fax": "+1 212 555 0143",
}  # fmt: skip


def sign_up(client: Client, username: str, person: dict, path="/account/sign-up/", **extra):
    """POST the sign-up form with every field the page asks for, from `person`."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    form = page.context["form"]
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    data.update({name: person[name] for name in form.fields if name in person})
    data.update(extra)
    return client.post(path, data)


def customer_id(username: str) -> int:
    rows = Customer.objects.for_purpose(SYSTEM, "essential.service.authentication")
    return rows.filter(user__username=username).values_list("pk", flat=True).get()


@pytest.fixture
def signed_up(db):
    """sign_up_as(username, person) -> (logged-in client, customer id)."""

    def make(username="ada", person=ADA, **extra):
        client = Client()
        response = sign_up(client, username, person, **extra)
        assert response.status_code == 302, response.context["form"].errors
        return client, customer_id(username)

    return make


@pytest.fixture
def hosting(db):
    return Service.objects.create(
        code="hosting", name="Web hosting", description="A site of your own.",
        monthly_price_cents=1500, currency="USD",
    )  # fmt: skip
