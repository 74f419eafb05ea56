"""The promise catalogue: every promise ID that a policy file may switch on.

The IDs and titles mirror PROMISES.md. An ID is stable and literal: the same
string appears in the policy file, the code that enforces it, its test and the
audit log, so one grep finds them all. Never build an ID by joining strings.
"""

from types import MappingProxyType

CATALOGUE = MappingProxyType(
    {
        # Visitors and the web server log
        "VIS-1": "Visitors browse without identifying themselves",
        "VIS-2": "Per page view only the ISP domain, the time and the page are recorded",
        "VIS-3": "Browser, operating system and referring page only where the policy says so",
        "VIS-4": "No e-mail address, full IP address or other-site history for visitors",
        "VIS-5": "Visitor data serves traffic analysis and site improvement only",
        "VIS-6": "Aggregated anonymous statistics, unique visitors counted without identifiers",
        "VIS-7": "Aggregates leave only as aggregates, small groups suppressed",
        "VIS-8": "Linked sites learn only that the visitor came from us",
        "VIS-9": "A referrer is kept as its site domain, and only for other sites",
        "VIS-10": "Raw visit records are deleted after their retention period",
        "VIS-11": "Internet addresses are logged for diagnostics only, with a short retention",
        "VIS-12": "Existing web server logs can be imported under the same rules",
        # Cookies
        "CK-1": "Preference cookies remember choices and hold no identity",
        "CK-2": "An order-form cookie keeps what the visitor typed until the order is placed",
        "CK-3": "The mandatory session cookie carries only signed authentication",
        "CK-4": "A persistent encrypted remember-me cookie only when asked for",
        "CK-5": "An optional affiliate or promotion session cookie",
        "CK-6": "Every cookie is declared; undeclared cookies are refused",
        # Customers and their accounts
        "ACC-1": "Sign-up asks for the contact fields the policy names",
        "ACC-2": "Additional fields are optional wherever they are asked",
        "ACC-3": "Account status, subscriptions and customer logs are kept",
        "ACC-4": "Customer data supports the customer relationship only",
        "ACC-5": "Accounts belong to individuals and their organisations",
        "ACC-6": "Prospects are kept apart from customers",
        "ACC-7": "Customers see, correct and update their data and can discontinue services",
        "ACC-8": "Customers can have their data erased, legally required records excepted",
        "ACC-9": "Only the customer and authorised staff see the customer's data",
        # Payment
        "PAY-1": "Card numbers go to a payment processor; only a token and hints are kept",
        "PAY-2": "Payment and billing data is used only to bill, never for marketing",
        "PAY-3": "A provider that collects no payment data has no payment forms",
        # Customers' communications
        "COM-1": "Communications are stored only as needed to deliver them",
        "COM-2": "No ongoing review or bulk search of communications",
        "COM-3": "Contents are disclosed only on one of four recorded grounds",
        "COM-4": "Harmful communications may be reviewed or blocked, the ground recorded",
        "COM-5": "Hosted data is viewed only with the customer's time-limited permission",
        # Disclosure of customer data
        "DIS-1": "Customer data is disclosed only to stop harm or where the law requires",
        "DIS-2": "Customer e-mail addresses are never shared but under the terms or the law",
        "DIS-3": "Partner sharing only where allowed, never for a customer who opted out",
        "DIS-4": "Referral partners get contact, account and billing data, never business data",
        "DIS-5": "Integration partners may exchange data including business data",
        "DIS-6": "The payment processor receives only what it needs and keeps nothing",
        "DIS-7": "Content providers collect and receive nothing",
        "DIS-8": "A customer can see the disclosures of their data",
        # Messages from the provider
        "MSG-1": "Service bulletins reach customers regardless of marketing choices",
        "MSG-2": "Promotions go only to mailing-list members who have not opted out",
        "MSG-3": "Unsubscribe by e-mail, done within the stated deadline",
        "MSG-4": "Opt out by replying or by writing to the support address",
        "MSG-5": "One-click unsubscribe in every marketing message",
        "MSG-6": "E-mail may announce new products; billing data never is used",
        # Choices and requests
        "CH-1": "Marketing and sharing choices can be changed at any time",
        "CH-2": "Questions about the policy are tracked to an answer",
        "CH-3": "Every request is tracked with its due date and outcome",
        # Security
        "SEC-1": "Password-protected accounts, unique user names, slow salted hashes",
        "SEC-2": "No template or staff tool asks for or shows a password",
        "SEC-3": "Log off ends the session on the server; all sessions can be ended",
        "SEC-4": "The secure area is served over TLS with rotated random session IDs",
        "SEC-5": "Every access to personal data is checked and written to a tamper-evident log",
        # The policy itself
        "POL-1": "The published policy is generated from the enforced policy file",
        "POL-2": "The policy shows when it was last revised",
        "POL-3": "Changes are announced at least the notice period before they take effect",
        "POL-4": "Every version of the policy stays readable",
        "POL-5": "Contradictions in the policy are caught and the stricter reading applies",
    }
)


def promise_area(promise_id: str) -> str:
    """The area prefix of a promise ID: "VIS" for "VIS-2"."""
    return promise_id.partition("-")[0]
