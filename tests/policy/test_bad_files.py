"""Every invalid policy file gets `file:line:column: key.path: problem, expected ...`.

The corpus in bad/ holds one defect per file, built from minimal.yaml; each
file's exact message is listed here, so a change in wording is a deliberate one.
"""

from pathlib import Path

import pytest

from hippocratic.policy import PolicyError, load_policy
from hippocratic.policy.cli import check
from hippocratic.policy.linter import errors, lint

HERE = Path(__file__).parent
BAD = HERE / "bad"

EXPECTED = {
    "yaml_syntax": "12:9: (document): invalid YAML: expected ',' or ']', but got ':', "
    "expected well-formed YAML",
    "duplicate_key": "11:1: introduction: key 'introduction' appears twice, expected each key once",
    "empty": "1:1: (document): the file is empty, expected a YAML mapping",
    "not_a_mapping": "1:1: (document): the document is not a mapping, expected keys and values",
    "missing_provider": "1:1: provider: required key is missing, expected a value for 'provider'",
    "unknown_key": "10:1: introdution: unknown key 'introdution', expected 'introduction'? "
    "Allowed here: format, provider, revision, introduction, promises, taxonomy, purposes, "
    "subjects, visitor_log, cookies, recipients, prohibitions, communications, choices, changes, "
    "notices, terms",
    "wrong_format": "1:9: format: 'hippocratic/2' is not allowed here, "
    "expected one of 'hippocratic/1'",
    "unknown_category": "36:19: subjects.customer.data[0].category: 'user.contact.mail' is not "
    "a known data category, expected a data category such as user.contact.email, "
    "user.contact.url, user.contact",
    "unknown_use": "17:5: purposes.essential.servce: 'essential.servce' is not a known data "
    "use, expected a data use such as essential.service, essential.service.upgrades, "
    "essential.service.security",
    "undeclared_purpose": "38:39: subjects.customer.data[0].purposes[1]: purpose "
    "'marketing.communications.email' is not declared, expected one of the keys under "
    "'purposes': analytics.reporting.content_performance, essential.service",
    "bad_date": "9:9: revision.date: 'May 4, 2001' is not valid, "
    "expected a date written YYYY-MM-DD",
    "unknown_promise": "11:33: promises[3]: 'VIS-99' is not a promise ID in the catalogue, "
    "expected an ID from PROMISES.md such as VIS-9, VIS-8, VIS-7",
    "unknown_subject": "20:3: subjects.visiter: 'visiter' is not a valid key, "
    "expected one of 'visitor', 'prospect' or 'customer'",
    "zero_retention": "29:27: subjects.visitor.data[0].retention.days: 0 is not valid, "
    "expected a number above zero",
    "bad_email": "7:22: provider.contacts.support.email: 'support-at-minimal' is not well "
    "formed, expected an e-mail address such as name@example.com",
    "unreachable_contact": "7:14: provider.contacts.support: a contact needs a way to reach "
    "it, expected 'email' or 'online_form: true'",
    "not_a_bool": "38:19: subjects.customer.data[0].required: 'maybe' is not valid, "
    "expected true or false",
    "bad_key_syntax": "26:19: subjects.visitor.data[0].category: 'User Device' is not well "
    "formed, expected a taxonomy key of lower-case dotted words",
    "log_field_undeclared": "41:24: visitor_log.fields[1]: 'path' is logged but not declared "
    "as visitor data, expected an entry with field: path under subjects.visitor.data",
    "unknown_log_field": "41:24: visitor_log.fields[1]: 'email' is not allowed here, expected "
    "one of 'isp_domain', 'time', 'path', 'browser_family', 'os_family' or 'referrer_domain'",
    "bad_notice": "43:11: changes.notice: 'soon' is not a period in business days, expected a "
    "number or a phrase such as 'at least ten (10) business days'",
    "custom_category_parent": "45:19: taxonomy.data_categories[0].parent_key: parent "
    "'user.billing' is not a known data category, expected a data category such as "
    "user.account, user.authorization, user.behavior",
    "cookie_undeclared_purpose": "43:32: cookies[0].purpose: purpose "
    "'essential.service.authentication' is not declared, expected one of the keys under "
    "'purposes': analytics.reporting.content_performance, essential.service",
    "duplicate_field": "30:16: subjects.visitor.data[1].field: field 'isp_domain' is declared "
    "twice, expected unique names",
    "delivery_without_undelivered": "29:20: subjects.visitor.data[0].retention: "
    "undelivered_days goes with after: delivery, expected both or neither",
    "essential_opt_out": "43:5: choices[0]: essential.service cannot be opted out of: "
    "essential uses are the service itself, expected uses outside essential",
    # Valid files whose sections contradict each other: the linter's errors.
    "recipient_uncollected": "47:18: recipients[0].categories[0]: 'Partners' is given "
    "'user.contact.email', which is never collected from customer, "
    "expected a category listed under subjects.*.data "
    "[recipient-gets-uncollected-category]",
    "billing_for_marketing": "47:39: subjects.customer.data[1].purposes[1]: 'card' "
    "(user.financial.credit_card) may not serve 'marketing.communications.email': the policy "
    'says "Billing data is used only to bill.", expected a purpose the prohibitions allow '
    "[use-forbidden-elsewhere]",
    "optional_but_required": "40:19: subjects.customer.data[0].required: 'name' is optional "
    "but purpose 'essential.service' requires user.name, expected required: true, or a "
    "purpose that can do without it "
    "[optional-field-required-by-purpose]",
    "retention_before_deadline": "42:27: subjects.customer.data[0].retention.days: 'name' is "
    "kept 3 day(s) but 'stop promotions' may take 14, expected at least 14 days "
    "[retention-shorter-than-deadline]",
    "advertiser_gets_data": "43:5: recipients[0].aggregates_only: advertiser 'Advertisers' "
    "would receive more than aggregates, expected aggregates_only: true "
    "[advertisers-get-aggregates]",
    "promise_unbacked": "11:26: promises[2]: PAY-1 is promised but the policy does not "
    "provide for it, expected payment data collected and a payment processor "
    "[promises-backed-by-structure]",
    "contact_form_missing": "47:32: choices[0].channels[1]: 'see' is taken through the contact "
    "form, but the support contact names none, expected online_form: true under "
    "provider.contacts.support [contact-form-channel-without-form]",
    "mail_without_sender": "47:32: choices[0].channels[1]: 'see' takes requests by mail, but "
    "the policy does not collect user.contact.email, so no request can keep who sent it, "
    "expected user.contact.email collected from customers, or another channel (portal, "
    "online_form) [mail-channel-keeps-no-sender]",
    "browser_without_promise": "11:11: promises: the visitor log records the browser, OS or "
    "referrer, but VIS-3 is not promised, expected VIS-3 in promises "
    "[promises-backed-by-structure]",
}


def _issues(path: Path) -> list[str]:
    try:
        issues = errors(lint(load_policy(path)))
    except PolicyError as exc:
        issues = exc.issues
    return [str(issue) for issue in issues]


def test_corpus_is_complete():
    """Every file in bad/ has its expected message, and the corpus is at least 15 files."""
    assert {p.stem for p in BAD.glob("*.yaml")} == set(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_reports_its_message(name):
    path = BAD / f"{name}.yaml"
    assert f"{path}:{EXPECTED[name]}" in _issues(path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_command_fails_each_bad_file(name, capsys):
    path = BAD / f"{name}.yaml"
    assert check([str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{EXPECTED[name]}" in out
    assert "Traceback" not in out


def test_minimal_policy_is_valid(capsys):
    assert check([str(HERE / "minimal.yaml")]) == 0


def test_unreadable_file_is_reported_not_raised(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError) as info:
        load_policy(missing)
    assert str(info.value).startswith(f"{missing}:1:1: (document): cannot read the file")


def test_every_error_is_reported_at_once(tmp_path):
    """Two independent defects give two messages, not one then another."""
    text = (HERE / "minimal.yaml").read_text()
    text = text.replace("category: user.name", "category: user.nam").replace(
        "category: user.device", "category: user.devise"
    )
    path = tmp_path / "two.yaml"
    path.write_text(text)
    assert len(_issues(path)) == 2
