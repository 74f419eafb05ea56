from django.urls import reverse

from hippocratic.provider import current_policy, policy_revised
from hippocratic.site import preferences


def contact_form_offered() -> bool:
    """Whether the policy names a contact form for support (contacts.support.online_form)."""
    return current_policy().provider.contacts.support.online_form


def navigation(request) -> list[dict]:
    """The main navigation's links, the one leading to this page's part of the site marked
    current: the link whose address is the longest start of the page's path (Home only on
    the home page), so /account/billing/ marks "Your account", not "Home"."""
    user = getattr(request, "user", None)
    links = [("Home", reverse("site:home")), ("Privacy policy", reverse("site:privacy"))]
    if contact_form_offered():
        links.append(("Contact us", reverse("requests:contact")))
    if user is not None and user.is_authenticated:
        links.append(("Your account", reverse("accounts:home")))
    else:
        links += [("Log in", reverse("accounts:login")), ("Sign up", reverse("accounts:sign_up"))]
    links.append(("Display", reverse("site:preferences")))
    path = request.path
    fits = [url for _, url in links if path == url or (url != "/" and path.startswith(url))]
    current = max(fits, key=len) if fits else None
    return [{"label": label, "url": url, "current": url == current} for label, url in links]


def provider(request):
    """The provider's identity, for the layout of every page."""
    policy = current_policy()
    chosen = preferences.parse(request.COOKIES.get(preferences.COOKIE, ""))
    return {
        "provider": policy.provider,
        "navigation": navigation(request),
        "contact_form": contact_form_offered(),
        "policy_revised": policy_revised(),
        # The footer links the terms where the provider has them (issue 31).
        "terms_title": policy.terms.title if policy.terms is not None else "",
        "display": " ".join(f"{name}-{value}" for name, value in chosen.items()),
    }
