"""Issue 30, item 12: requests that answered 500 (or recorded nonsense) now get a 4xx,
or a 200 that does nothing, and record nothing."""

import json

import pytest
from django.test import Client
from factories import staff_user
from tests_paths import use_profile

from hippocratic.accounts import own_data
from hippocratic.disclosure import services as disclosures
from hippocratic.disclosure.models import Disclosure
from hippocratic.enforcement import cases as access
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import AccessCase, OptOut
from hippocratic.messaging import sending
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db


def csrf_checked(client: Client) -> tuple[Client, str]:
    """A client with the same session that the CSRF check applies to, and its token."""
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = client.cookies
    checked.get("/account/")
    return checked, checked.cookies["csrftoken"].value


@pytest.mark.parametrize("with_token", [True, False])
def test_a_multipart_body_without_boundary_is_400_not_500(signed_up, settings, with_token):
    """With DEBUG on, ninja's own handler answered the parser's error with a 500."""
    settings.DEBUG = True
    with use_profile("ducallier"):
        client, _ = signed_up()
        checked, token = csrf_checked(client)
        extra = {"HTTP_X_CSRFTOKEN": token} if with_token else {}
        for method, url in (("post", "/api/me/subscriptions"), ("post", "/api/records"),
                            ("patch", "/api/choices"), ("put", "/api/records/1")):  # fmt: skip
            got = getattr(checked, method)(url, data=b"--x\r\n", content_type="multipart/form-data",
                                           **extra)  # fmt: skip
            assert got.status_code in (400, 403), (method, url, got.status_code, got.content[:300])


def test_a_bare_json_string_is_not_a_record(signed_up):
    """ninja's Schema reads attributes: "x" was stored as a record titled "X" (str.title)."""
    with use_profile("ducallier"):
        client, _ = signed_up()
        for body in ('"x"', json.dumps(json.dumps({"title": "t"})), "5", "[]"):
            got = client.post("/api/records", data=body, content_type="application/json")
            assert got.status_code == 422, (body, got.content)
        assert client.get("/api/records").json() == []
        ok = client.post("/api/records", data={"title": "t"}, content_type="application/json")
        assert ok.status_code == 201


def test_one_click_replays_make_one_request_and_an_erased_customer_none(signed_up):
    with use_profile("ducallier"):
        client, ada = signed_up()
        client.post("/mail/list/", {"join": "1"})
        path = f"/mail/unsubscribe/{sending.unsubscribe_token(ada, 1)}/"
        for _ in range(20):  # a provider's POST, then replays
            assert Client().post(path).status_code == 200
        assert OptOut.objects.filter(subject="customer", subject_id=ada).exists()
        assert (
            Request.objects.for_purpose(Actor.for_customer(ada), "essential.service")
            .filter(kind=Request.Kind.UNSUBSCRIBE)
            .count()
            <= 1
        )
        own_data.erase(ada, by=Actor.for_customer(ada))
        before = Request.objects.for_purpose(Actor.system("t"), "essential.service").count()
        assert Client().post(path).status_code == 200  # was IntegrityError: a 500
        assert Request.objects.for_purpose(Actor.system("t"), "essential.service").count() == before


@pytest.mark.parametrize("number", [0, 999_999, 2**64])
def test_an_access_case_for_no_customer_is_refused_and_nothing_is_recorded(signed_up, number):
    with use_profile("isp"):
        signed_up()
        lex = staff_user("staff.legal", "lex")
        with pytest.raises(access.ValidationError, match="no customer number"):
            access.open_case(lex, customer_id=number, what="messages", ground="legal_process",
                             reason="warrant 7")  # fmt: skip
        client = Client()
        client.force_login(lex)
        page = client.post("/staff/access/", {"customer": number, "ground": "legal_process",
                                              "reason": "warrant 7"})  # fmt: skip
        assert page.status_code == 200
        assert not AccessCase.objects.exists()


@pytest.mark.parametrize("number", [0, 999_999, 2**64])
def test_a_disclosure_naming_no_customer_is_refused_and_nothing_is_recorded(signed_up, number):
    with use_profile("isp"):
        _, ada = signed_up()
        authorities = next(r for r in disclosures.current_policy().recipients
                           if r.kind == "law_enforcement")  # fmt: skip
        with pytest.raises(disclosures.DisclosureRefused, match="no customer number"):
            disclosures.record(
                kind=Disclosure.Kind.SUBPOENA, recipient=authorities.key,
                ground=authorities.grounds[0].value, reference="Case 1",
                customer_ids=[ada, number], categories=["user.name"], by=None,
            )  # fmt: skip
        assert not Disclosure.objects.exists()


def test_digits_of_other_scripts_are_not_card_digits_nor_a_500():
    """A break-it review: '²' passes str.isdigit() but int('²') raises, a 500 on the
    card form; Arabic-Indic digits were stored as a card ending '٤٢٤٢'."""
    from hippocratic.billing.forms import CardForm

    for number in ("4242 4242 4242 424²", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"):
        form = CardForm({"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"})
        assert not form.is_valid()
        assert "number" in form.errors
