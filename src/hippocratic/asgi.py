import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippocratic.settings")
application = get_asgi_application()

from hippocratic.site.startup import refuse_to_start_on_errors  # noqa: E402 (after setup)

refuse_to_start_on_errors()
