from hippocratic.provider import current_policy
from hippocratic.site import preferences


def provider(request):
    """The provider's identity, for the layout of every page."""
    policy = current_policy()
    chosen = preferences.parse(request.COOKIES.get(preferences.COOKIE, ""))
    return {
        "provider": policy.provider,
        "policy_revised": policy.revision.date,
        "display": " ".join(f"{name}-{value}" for name, value in chosen.items()),
    }
