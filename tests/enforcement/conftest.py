import pytest
from factories import SYSTEM
from tests_paths import use_profile

from hippocratic.accounts.models import Customer
from hippocratic.billing.models import PaymentMethod


@pytest.fixture
def ducallier():
    with use_profile("ducallier"):
        yield


@pytest.fixture
def dracon():
    with use_profile("dracon"):
        yield


@pytest.fixture
def customer(db, ducallier):
    return Customer.objects.for_purpose(SYSTEM, "essential.service").create(
        name="Ada Lovelace", email="ada@example.com", phone="+44 20 7946 0000",
        address="12 St James's Square, London",
    )  # fmt: skip


@pytest.fixture
def card(customer):
    return PaymentMethod.objects.for_purpose(SYSTEM, "essential.service.payment_processing").create(
        customer=customer, processor_token="tok_sandbox_1", brand="visa", last4="4242"
    )
