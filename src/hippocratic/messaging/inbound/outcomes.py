"""What a message that comes in can be, and what came of it: a closed list of kinds
and a closed list of reasons to ignore one."""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a message is (Incoming) and what came of it (Received)."""

    MAILBOX = "mailbox"  # for a customer's own mailbox: stored there, sealed (COM-1)
    BOUNCE = "bounce"  # to a bounce+ address: one of our messages did not arrive
    REPLY = "reply"  # to a reply+ address: its recipient leaves the list (MSG-4)
    UNSUBSCRIBE = "unsubscribe"  # to the unsubscribe address, asking removal (MSG-3)
    CHOICE = "choice"  # to the security address, where the policy takes a choice by mail
    SUPPORT = "support"  # to the support address: a request in the staff queue
    IGNORED = "ignored"  # nothing to do: Received.reason says why


class Ignored(StrEnum):
    """Why a message was let go without a change anywhere."""

    # To the unsubscribe address, but the subject does not ask to be removed.
    NOT_A_REMOVAL_SUBJECT = "not_a_removal_subject"
    # No recipient is an address of ours (a reply+ or bounce+ address whose signature
    # fails is none of ours; nor is the security address where the policy takes no
    # choice by mail).
    NO_RECIPIENT_OF_OURS = "no_recipient_of_ours"
    # A bounce for a customer who is not (or no longer) here.
    UNKNOWN_CUSTOMER_BOUNCE = "unknown_customer_bounce"
    # A prospect's temporary (4.x.x) or unreadable bounce: only a permanent one counts.
    PROSPECT_SOFT_BOUNCE = "prospect_soft_bounce"
    # Sent by a program (Auto-Submitted other than "no", Precedence: bulk or list, a
    # delivery report, a mailer daemon): never answered, so two programs cannot loop.
    AUTOMATIC = "automatic"


class MailRejected(ValueError):
    """The message cannot be taken; the reason fits on one line. `code` is the LMTP
    answer's code and enhanced status: a permanent refusal unless it says otherwise
    (a mailbox over its quota: 452 4.2.2 for now, 552 5.2.2 for good)."""

    def __init__(self, reason: str, code: str = "550 5.6.0"):
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class Received:
    kind: Kind
    done: bool
    request_id: int | None = None
    queued: bool = False  # kept for the worker to act on (accept)
    reason: Ignored | None = None  # why nothing was done, where nothing was

    @classmethod
    def ignored(cls, reason: Ignored) -> "Received":
        return cls(Kind.IGNORED, False, reason=reason)


@dataclass(frozen=True)
class Incoming:
    """What is kept of a message for its request: who sent it, what it asks and its
    Message-ID; its subject and text only where it is written to support (a request
    that keeps what was asked, sealed at rest)."""

    kind: Kind  # unsubscribe, reply, choice, support or bounce
    sender: str
    key: str
    who: str = ""  # whom a reply+ or bounce+ address names: "12", or "p7" for a prospect
    choice: str = ""  # the policy's choice a mail to security@ makes
    status: str = ""  # a bounce's delivery status class: "2", "4", "5", or "" if it has none
    received: dt.datetime | None = None  # when it came, where it waited in the queue
    proven: bool = False  # it proves its sender: a reply+ token, or our MTA's DKIM/SPF pass
    subject: str = ""  # a mail to support's Subject:, decoded
    text: str = ""  # a mail to support's plain text, within bounds (mailtext)

    @property
    def from_prospect(self) -> bool:
        """Whether its reply+ or bounce+ address names a prospect on the list."""
        return self.who.startswith("p")
