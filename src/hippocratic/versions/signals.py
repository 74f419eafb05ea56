"""`version_published`: sent once a version is stored (with `version=`). The provider
forgets what it cached; the site mails the notice of a material change (POL-3)."""

from django.dispatch import Signal

version_published = Signal()
