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
        "DIS-9": "Provided information leaves only as stated when asked, by the terms or by law",
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


# The public statement of each promise that needs no facts from the policy file, by
# its literal ID. The renderer prints one only where the policy makes the promise
# and this build enforces it.
STATEMENTS = {
    "VIS-1": "You can visit our web site without identifying yourself or revealing any personal "
    "information: reading our pages needs no sign-in and no cookie.",
    "VIS-4": "Our web server does not collect your e-mail address, your full Internet address, or "
    "any information on what other pages on the Web you have visited.",
    "VIS-6": "We compile aggregated, anonymous statistics such as the number of page views, the "
    "number of unique visitors (counted without cookies or any stored identifier) and the"
    " domains visitors come from.",
    "VIS-8": "Our site links to products and services of other companies. A site you follow a link"
    " to learns only that you came from our site, not which page.",
    "CK-1": "Preference cookies remember your choices; they hold no identity.",
    "CK-2": "On the landing page of a product sold online, a cookie keeps what you type into "
    "the order form until you place the order, which then goes to our internal sales records.",
    "CK-3": "The session cookie for our secure area carries only signed authentication for one "
    "session. If you refuse it, you cannot use the secure area, and we tell you so.",
    "CK-4": "A persistent, encrypted cookie that keeps you signed in is set only if you ask for "
    "it.",
    "CK-5": "When you follow a link from an affiliate or promotion, a session cookie names that "
    "affiliate. Accepting it is optional.",
    "ACC-3": "While you are a customer, we keep your account status, your choice of services and "
    "customer logs in the normal course of providing service.",
    "ACC-5": "We set up the Services for individuals and their organisations; an organisation may "
    "have several users.",
    "PAY-1": "Card numbers are passed on to our payment processor and never kept: we keep only "
    "the processor's reference to your card, its brand and its last four digits, and we never "
    "store or log a full card number.",
    "PAY-3": "We collect contact information only: we take no payment information on our web site.",
    "COM-2": "We do not censor, edit, or engage in ongoing review or surveillance of "
    "communications; our staff have no means to browse or search them in bulk.",
    "DIS-2": "We do not distribute or share customer e-mail addresses, except as our Terms of "
    "Service provide or the law requires.",
    "DIS-8": "You can see every disclosure of your data that the law allows.",
    "DIS-9": "Except as we explicitly state at the time we ask for information, or as our "
    "Terms of Service provide, or as the law requires, we do not disclose the information you "
    "provide to any third party. Every disclosure records its ground, who approved it and "
    "exactly what left.",
    "MSG-1": "We reserve the right to send bulletins and other important information about "
    "our services at our discretion; they are not marketing, so your marketing choices do not "
    "stop them.",
    "MSG-6": "Your e-mail address may be used to tell you about new products; your billing "
    "information never is.",
    "CH-3": "Every request is tracked with its due date and what was done about it.",
    "VIS-10": "Records of individual visits are deleted when their period ends; only aggregate "
    "statistics remain.",
    "POL-4": "Every earlier version of this policy stays readable.",
    "SEC-1": "Your account is protected by a password. User names are unique, and passwords "
    "are stored only as slow, salted hashes.",
    "SEC-2": "No e-mail, page or staff tool of ours shows your password, and only you are "
    "asked for it: to sign in, to choose it, or to confirm it is you. No one here can see it.",
    "SEC-3": "Logging off ends your session on our servers, and you can end all of your "
    "sessions at once.",
    "SEC-4": "Our secure area is served only over encrypted connections, and session "
    "identifiers are random and replaced each time you log in.",
    "SEC-5": "Every access to personal data is checked against this policy and written to an "
    "audit log that shows any tampering.",
    "ACC-9": "Other than our authorised staff, you are the only person who can see your "
    "personal information.",
}
