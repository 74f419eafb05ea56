"""Who is asking: every access to personal data names an actor."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The one on whose behalf data is read or written.

    `role` is a role the decision engine knows (system, customer, staff.support …);
    `label` is what the audit log shows (a user name or a task name); a customer
    actor carries `subject_id`, and sees only rows about that subject.
    """

    role: str
    label: str
    subject_id: int | None = None

    @classmethod
    def system(cls, task: str) -> "Actor":
        return cls("system", f"task:{task}")

    @classmethod
    def for_user(cls, user, role: str) -> "Actor":
        return cls(role, f"user:{user.pk}:{user.get_username()}")

    @classmethod
    def for_customer(cls, customer_id: int) -> "Actor":
        """A customer acting on their own data. The label names no user name: the
        audit log outlives an erased account, and must not keep who they were."""
        return cls("customer", f"customer:{customer_id}", subject_id=customer_id)


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
