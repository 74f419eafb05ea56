"""What a log-import worker process runs first. It imports nothing of Django's at
module level, so a freshly spawned process can load it before Django is set up."""


def setup() -> None:
    import django

    django.setup()
