"""Views of the customers' secure area."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from hippocratic.accounts.services import customer_id


def customer_required(view):
    """Signed in, as a customer: the view gets `customer_id`, their own and no other (ACC-9).
    Staff logins have no customer row and are refused here; they use the admin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        me = customer_id(request)
        if me is None and request.user.is_staff:
            return redirect("site:staff_home")  # staff have no customer pages: theirs are here
        if me is None:
            raise PermissionDenied("This is the customers' area; staff use the admin.")
        return view(request, me, *args, **kwargs)

    return wrapper
