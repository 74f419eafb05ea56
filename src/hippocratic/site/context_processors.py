from hippocratic.provider import current_policy


def provider(request):
    """The provider's identity, for the layout of every page."""
    policy = current_policy()
    return {"provider": policy.provider, "policy_revised": policy.revision.date}
