"""Request hygiene shared by every view."""

from django.http import QueryDict

from articles.services import clean_text


class CleanQueryStringMiddleware:
    """Query strings are not validated by forms: NUL bytes, lone surrogates and other control characters would
    reach the ORM (PostgreSQL refuses NUL, a 500 there only). Every view sees the parameters without them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.GET:
            cleaned = QueryDict(mutable=True)
            changed = False
            for key, values in request.GET.lists():
                clean_key = clean_text(key)
                clean_values = [clean_text(value) for value in values]
                changed = changed or clean_key != key or clean_values != values
                cleaned.setlist(clean_key, clean_values)
            if changed:
                cleaned._mutable = False
                request.GET = cleaned
        return self.get_response(request)
