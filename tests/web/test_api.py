"""The JSON API for a customer's own data, and its OpenAPI schema (ACC-7, ACC-9)."""

import json

import pytest
from django.test import Client
from factories import ADA, GRACE, card_form
from tests_paths import use_profile

from hippocratic.accounts import services

pytestmark = pytest.mark.django_db


def patch(client, body):
    return client.patch("/api/me", json.dumps(body), content_type="application/json")


def test_the_schema_describes_every_route():
    schema = Client().get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Hippocratic"
    routes = {"/api/me", "/api/me/data", "/api/me/subscriptions", "/api/services/",
              "/api/me/subscriptions/{subscription_id}/discontinue"}  # fmt: skip
    assert routes <= set(schema["paths"])


@pytest.mark.promise("ACC-7")
def test_a_customer_reads_and_corrects_their_details(signed_up, hosting):
    with use_profile("japoon"):
        client, me = signed_up()
        assert client.get("/api/me").json()["name"] == ADA["name"]
        response = patch(client, {"address": "1 Dorset Street, London"})
        assert response.status_code == 200 and response.json() == {"changed": ["address"]}
        assert services.own_customer(me).address == "1 Dorset Street, London"
        # Unknown or protected fields, and required fields emptied, are refused whole.
        assert patch(client, {"status": "closed"}).status_code == 422
        assert patch(client, {"name": "", "phone": "+1 555"}).status_code == 422
        assert services.own_customer(me).name == ADA["name"]
        choose = {"path": "/api/me/subscriptions", "data": {"service": "hosting"},
                  "content_type": "application/json"}  # fmt: skip
        refused = client.post(**choose)  # a paid service, and no card on file yet
        assert refused.status_code == 402 and "add a card" in refused.json()["detail"]
        client.post("/account/billing/card/", card_form())
        chosen = client.post(**choose)
        assert chosen.status_code == 201
        stop = client.post(f"/api/me/subscriptions/{chosen.json()['id']}/discontinue")
        assert stop.status_code == 200
        assert client.get("/api/me/subscriptions").json()[0]["status"] == "discontinued"
        held = client.get("/api/me/data").json()
        assert held["customer"]["domain_name"] == ADA["domain_name"]


@pytest.mark.promise("ACC-9")
def test_only_the_customer_gets_their_data_from_the_api(signed_up, staff_client):
    with use_profile("japoon"):
        signed_up("grace", GRACE)
        ada, _ = signed_up()
        assert ada.get("/api/me").json()["name"] == ADA["name"]
        assert GRACE["name"] not in ada.get("/api/me/data").content.decode()
        assert Client().get("/api/me").status_code == 401
        staff = staff_client(None, "stafford")  # staff with no role at all
        assert staff.get("/api/me/data").status_code == 401  # staff are not customers


def test_a_value_the_database_cannot_hold_is_a_422_not_a_500(signed_up, hosting, monkeypatch):
    """Issue 30: schemathesis, run against the site in production mode on PostgreSQL,
    found a 500: a NUL character in a service's code (PostgreSQL keeps no NUL in text,
    and refused the query). A value the database cannot hold is the request's fault."""
    from django.db import DataError

    from hippocratic.accounts import api

    with use_profile("japoon"):
        client, _ = signed_up()
        nul = client.post("/api/me/subscriptions", {"service": "host\x00ing"},
                          content_type="application/json")  # fmt: skip
        assert nul.status_code in (404, 422)  # 422 on PostgreSQL, 404 where NUL is text
        refused = DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

        def refuse(*args, **kwargs):
            raise refused

        monkeypatch.setattr(api.Service.objects, "filter", refuse)
        answer = client.post("/api/me/subscriptions", {"service": "hosting"},
                             content_type="application/json")  # fmt: skip
        assert answer.status_code == 422
        assert "cannot keep" in answer.json()["detail"]
