"""Every purpose the code names, in one place: a closed list, so conformance sees each
one (enforcement.conformance reads `Purpose.X` in each app's source) and a start-up
check holds each app's purposes against the policy in force.

    Customer.objects.for_purpose(actor, Purpose.SERVICE)

Purposes the policy itself names (its visitor log's, its requests', a retention rule's)
come from the policy, and are declared by it by definition. An app lists, on its
AppConfig, the purposes it needs whenever it is active (`purposes`) and those it uses
only where the policy declares them (`optional_purposes`, behind
`provider.declares()`). No imports of the project: AppConfigs read it.
"""

from enum import StrEnum


class Purpose(StrEnum):
    """A data use (a fideslang key) the code asks the gateway for."""

    SERVICE = "essential.service"
    AUTHENTICATION = "essential.service.authentication"
    PAYMENT = "essential.service.payment_processing"
    NOTIFICATIONS = "essential.service.notifications"
    LEGAL_OBLIGATION = "essential.legal_obligation"
    MARKETING_EMAIL = "marketing.communications.email"
    SALES = "sales"
