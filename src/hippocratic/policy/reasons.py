"""Why a decision came out as it did: the closed list of reason codes, and their words.

Codes live only in the Reason enum; explanations for people live only here, in
EXPLANATIONS, which a test checks covers every member. No external imports.
"""

from enum import StrEnum


class Reason(StrEnum):
    ALLOWED = "allowed"
    UNKNOWN_ACTOR = "unknown_actor"
    PURPOSE_NOT_DECLARED = "purpose_not_declared"
    SUBJECT_NOT_DECLARED = "subject_not_declared"
    CATEGORY_NOT_COLLECTED = "category_not_collected"
    PROHIBITED_USE = "prohibited_use"
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed"
    ROLE_NOT_PERMITTED = "role_not_permitted"
    SUBJECT_OPTED_OUT = "subject_opted_out"
    ENGINE_ERROR = "engine_error"
    # Sharing with a third party (Engine.decide_share).
    RECIPIENT_NOT_DECLARED = "recipient_not_declared"
    GROUND_NOT_ALLOWED = "ground_not_allowed"
    CATEGORY_NOT_FOR_RECIPIENT = "category_not_for_recipient"
    # Not the engine's: why the system itself removed or sent data (audit entries).
    RETENTION_ENDED = "retention_ended"
    SUBJECT_REQUEST = "subject_request"
    DECLINED = "declined"
    # Customers' communications and hosted data (COM-2, COM-3, COM-5).
    NO_GROUND = "no_ground"
    # The gate's own (enforcement.gate): how a query was asked, whatever it reads.
    UNSCOPED = "unscoped"
    NOT_OWN_ROWS = "not_own_rows"
    UNSEEN_SQL = "unseen_sql"


EXPLANATIONS: dict[Reason, str] = {
    Reason.ALLOWED: "The policy allows this purpose for these categories of this subject.",
    Reason.UNKNOWN_ACTOR: "The actor's role is not one the policy knows; unknown actors are "
    "denied.",
    Reason.PURPOSE_NOT_DECLARED: "The purpose is not declared in the policy.",
    Reason.SUBJECT_NOT_DECLARED: "The policy collects nothing from this kind of data subject.",
    Reason.CATEGORY_NOT_COLLECTED: "The policy does not collect this category from this subject.",
    Reason.PROHIBITED_USE: "The policy rules this use out for this category.",
    Reason.PURPOSE_NOT_ALLOWED: "The policy does not list this purpose for this category.",
    Reason.ROLE_NOT_PERMITTED: "The actor's role may not act for this purpose.",
    Reason.SUBJECT_OPTED_OUT: "The data subject has opted out of this use.",
    Reason.ENGINE_ERROR: "The decision could not be made; access is denied.",
    Reason.RECIPIENT_NOT_DECLARED: "The policy names no such recipient of personal data.",
    Reason.GROUND_NOT_ALLOWED: "The policy does not let this recipient receive data on this "
    "ground.",
    Reason.CATEGORY_NOT_FOR_RECIPIENT: "The policy does not let this recipient receive this "
    "category.",
    Reason.RETENTION_ENDED: "The retention period the policy sets has ended, or the policy no "
    "longer collects the category.",
    Reason.SUBJECT_REQUEST: "The data subject asked for it (erasure of their own data).",
    Reason.DECLINED: "Staff rejected or contested a request to disclose; nothing left.",
    Reason.NO_GROUND: "Staff reach a customer's communications or hosted data only through an "
    "access case in force that names that one customer and a ground; never in bulk.",
    Reason.UNSCOPED: "Personal data was asked for with no actor and purpose; nothing was read.",
    Reason.NOT_OWN_ROWS: "A data subject acting on their own data reaches only their own rows; "
    "the query joined other people's.",
    Reason.UNSEEN_SQL: "The query carries hand-written SQL, so the categories it reads cannot be "
    "known; it is refused.",
}


def explain(reason: Reason) -> str:
    return EXPLANATIONS[reason]
