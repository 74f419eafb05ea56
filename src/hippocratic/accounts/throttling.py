"""django-axes hooks."""


def no_address(request) -> None:
    """Axes keys attempts by user name here; it is given no address to store (VIS-4)."""
    return None
