"""The whole API, fuzzed from its own OpenAPI schema (schemathesis, property-based):
anonymous and as a signed-in customer, no request gets a server error or an answer
the schema does not describe."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from factories import ADA, sign_up
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

pytestmark = pytest.mark.django_db(transaction=True)

app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
FUZZ = settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip


@pytest.fixture
def customer(hosting):
    """A signed-in customer's session and CSRF cookies, and the CSRF header."""
    client = Client()
    assert sign_up(client, "fuzzed", ADA).status_code == 302
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    return {"cookies": cookies, "headers": {"X-CSRFToken": cookies["csrftoken"]}}


@schema.parametrize()
@FUZZ
def test_anonymous_callers_get_no_server_error_and_only_described_answers(case):
    case.call_and_validate()


@schema.parametrize()
@FUZZ
def test_a_customer_gets_no_server_error_and_only_described_answers(case, customer):
    # The session travels as a cookie the schema's generator does not know, so its checks
    # of "invalid auth accepted" and "bad data accepted" would judge our own cookie; and
    # which fields a customer may correct depends on the policy (422 names the others).
    excluded = [
        checks.ignored_auth,
        checks.negative_data_rejection,
        checks.positive_data_acceptance,
    ]
    case.call_and_validate(**customer, excluded_checks=excluded)


def test_the_fuzzed_customer_is_signed_in(customer):
    """The control: the customer's calls are answered as theirs, not refused with 401."""
    case = schema["/api/me"]["GET"].Case()
    answer = case.call(**customer)
    assert answer.status_code == 200 and answer.json()["name"] == ADA["name"]
