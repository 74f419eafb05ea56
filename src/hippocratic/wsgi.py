import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippocratic.settings")
application = get_wsgi_application()

from hippocratic.site.startup import refuse_to_start_on_errors  # noqa: E402 (after setup)

refuse_to_start_on_errors()
