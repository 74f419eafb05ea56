"""Who is asking: every access to personal data names an actor."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The one on whose behalf data is read or written.

    `role` is a role the decision engine knows (system, customer, staff.support …);
    `label` is what the audit log shows (a user name or a task name). A data subject
    acting on their own data (role customer or prospect) sees only rows about
    themselves: those of `subject_id`, or, for a login whose customer number is not
    known yet, the rows that name `login_id`; with neither, no rows at all.

    Whoever asked is the actor: a customer's own request runs as that customer,
    and `system` actors belong to tasks and commands only.
    """

    role: str
    label: str
    subject_id: int | None = None
    login_id: int | None = None

    @property
    def is_subject(self) -> bool:
        """Whether the actor is a data subject, scoped to their own rows."""
        return self.role in SUBJECT_ROLES

    @classmethod
    def system(cls, task: str) -> "Actor":
        """A task or a management command: never a request made by a person."""
        return cls("system", f"task:{task}")

    @classmethod
    def for_user(cls, user, role: str) -> "Actor":
        return cls(role, f"user:{user.pk}:{user.get_username()}")

    @classmethod
    def for_customer(cls, customer_id: int) -> "Actor":
        """A customer acting on their own data. The label names no user name: the
        audit log outlives an erased account, and must not keep who they were."""
        return cls("customer", f"customer:{customer_id}", subject_id=customer_id)

    @classmethod
    def for_login(cls, user) -> "Actor":
        """A signed-in customer whose customer number is not known yet: sees only the
        customer row that names their login."""
        return cls("customer", f"login:{user.pk}", login_id=user.pk)

    @classmethod
    def newcomer(cls) -> "Actor":
        """Someone signing up: writes their new customer row, reads nothing."""
        return cls("customer", "sign-up")

    @classmethod
    def inquirer(cls) -> "Actor":
        """Someone asking for information (a prospect): writes their inquiry, reads nothing."""
        return cls("prospect", "inquiry")


# Roles of data subjects acting on their own data: the gateway scopes them to it.
SUBJECT_ROLES = frozenset({"customer", "prospect"})


STAFF_ROLE_PREFIX = "staff."


def staff_role(user) -> str:
    """A staff member's role: a group named staff.<role>, or staff.admin for superusers.

    Staff with neither get a role the engine does not know, and are refused.
    """
    if user.is_superuser:
        return "staff.admin"
    if not user.is_staff:
        return "staff.none"
    names = user.groups.filter(name__startswith=STAFF_ROLE_PREFIX).values_list("name", flat=True)
    return min(names, default="staff.none")
