"""Records page views as the policy allows (VIS-1, VIS-2, VIS-3).

It sets no cookie, reads none, and needs no login: a page view is built from
the request and response, appended to the write buffer, and the response goes
out. Lookups and writes happen later, off the request path.
"""

from django.utils import timezone

from hippocratic.tracking import event as events
from hippocratic.tracking.request import from_http
from hippocratic.tracking.services import page_view_buffer, recording_rules


class PageViewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        rules = recording_rules()
        if rules.fields:
            built = events.build(from_http(request, response, timezone.now()), rules)
            if isinstance(built, events.PageEvent):
                page_view_buffer().add(built)
        return response
