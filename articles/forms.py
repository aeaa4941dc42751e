"""Public forms: the filters of the experience-sharing index and the print-edition date picker.

Query strings are not trusted: every value is checked against a fixed list of choices (never looked up in the
database as typed, so a NUL byte or a stray string can never reach a query), and invalid values are ignored.
"""

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from articles.models import ExperienceEntry, Organization, SearchDocument

LONG_CHOICES = 8  # long lists of choices kept per process (one per list of organisations and language)
_long_choices = {}


class LongChoices(BaseChoiceIterator):
    """A long list of (value, label) choices (every organisation with an experience entry) prepared once per
    process and list: a field and its widget take it as it is (no normalising per request), the field finds a
    value in a set, and the widget's options are escaped once (LongSelect). Normalising and rendering thousands of
    options on every request took most of the experience index's time."""

    def __init__(self, choices):
        self.choices = tuple((str(value), str(label)) for value, label in choices)
        self.values = {value for value, _label in self.choices}
        self.labels = dict(self.choices)
        self.positions = {}  # value: (start, end) of its option in ``body``, and the option selected
        pieces, at = [], 0
        for value, label in self.choices:
            option = format_html('<option value="{}">{}</option>', value, label)
            piece = f"\n  {option}\n"
            if value not in self.positions:
                selected = format_html('<option value="{}" selected>{}</option>', value, label)
                self.positions[value] = (at, at + len(piece), f"\n  {selected}\n")
            pieces.append(piece)
            at += len(piece)
        self.body = "".join(pieces)

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def __getitem__(self, index):
        return self.choices[index]

    @classmethod
    def of(cls, first, many, pair=None):
        """``first`` (a few choices, labels possibly lazy) then ``many`` (each made a choice by ``pair``; kept by
        the caller: the same object for as long as it holds), prepared once per process, list and language."""
        key = (id(many), pair, get_language())
        found = _long_choices.get(key)
        if found is None or found[0] is not many:
            if len(_long_choices) >= LONG_CHOICES:
                _long_choices.clear()
            found = _long_choices[key] = (many, cls([*first, *(map(pair, many) if pair else many)]))
        return found[1]


def widget_attrs(attrs):
    """HTML attributes as Django's widget template writes them (django/forms/widgets/attrs.html): in their order,
    True as a bare name, False left out."""
    return mark_safe(  # noqa: S308  # nosec B308 B703: names and values escaped
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


class LongSelect(forms.Select):
    """Django's Select, rendered to the same HTML, for LongChoices: one option is selected at most, as in Select."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = self.choices
        if not isinstance(choices, LongChoices):
            choices = LongChoices(choices)
        body = choices.body
        for chosen in self.format_value(value):
            position = choices.positions.get(chosen)
            if position is not None:
                start, end, selected = position
                body = f"{body[:start]}{selected}{body[end:]}"
                break
        head = format_html('<select name="{}"{}>', name, widget_attrs(self.build_attrs(self.attrs, attrs)))
        return mark_safe(f"{head}{body}\n</select>")  # noqa: S308  # nosec B308 B703: every part escaped above


class LongChoiceField(forms.ChoiceField):
    widget = LongSelect

    def valid_value(self, value):
        if isinstance(self.choices, LongChoices):
            return str(value) in self.choices.values
        return super().valid_value(value)


class LongTypedChoiceField(LongChoiceField, forms.TypedChoiceField):
    pass


def year_choice(year):
    return (str(year), str(year))


LEVELS = tuple(Organization.Level.choices)
FORMS = tuple(ExperienceEntry.Form.choices)


class FilterForm(forms.Form):
    """The filters of a list page, read from its query string: applied when valid, never an error page."""

    # The id of the notice naming the filters the page could not apply (includes/_ignored_filters.html).
    notice_id = "filters-not-applied"

    def full_clean(self):
        super().full_clean()
        # An invalid field is named in the page's notice, not in an error list of its own: it points screen readers
        # there (Django's aria-describedby would name the error list, id_year_error, which the page never shows).
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = self.notice_id

    def filters(self):
        """The valid, non-empty filters; an invalid value (an old link's section that was renamed, a year typed by
        hand) is left out and named by ``ignored``."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}

    def ignored(self):
        """The labels of the filters given a value that is not one of their choices (so not applied)."""
        self.is_valid()
        return [str(self.fields[name].label) for name in self.fields if name in self.errors]

    def ignored_text(self):
        """``ignored`` for a sentence: 栏目、年份."""
        return "、".join(self.ignored())


class ExperienceEntryFilterForm(FilterForm):
    level = LongChoiceField(label=_("Level"), required=False)
    form = LongChoiceField(label=_("Form"), required=False)
    year = LongTypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    organization = LongChoiceField(label=_("Organisation"), required=False)

    def __init__(self, *args, organizations=(), years=(), **kwargs):
        """``organizations``: (slug, name) pairs; ``years``: ints. Both come from published entries."""
        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self.fields["level"].choices = LongChoices.of(anything, LEVELS)
        self.fields["form"].choices = LongChoices.of(anything, FORMS)
        self.fields["year"].choices = LongChoices.of(anything, years, year_choice)
        self.fields["organization"].choices = LongChoices.of(anything, organizations)

    def applied_labels(self):
        """What the applied filters pick, as a reader names it, in the form's order: 市州级, 书面交流, 2026年,
        the organisation's name."""
        labels = []
        for name, value in self.filters().items():
            label = self.fields[name].choices.labels[str(value)]
            labels.append(gettext("Year %(year)s") % {"year": label} if name == "year" else label)
        return labels


class PrintIssueForm(forms.Form):
    date = forms.DateField(label=_("Issue date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class SearchFilterForm(FilterForm):
    """The filters of the search page. The query itself (``q``) is read raw and made safe by articles/search.py."""

    section = forms.ChoiceField(label=_("Section"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Type"), required=False)

    def __init__(self, *args, sections=(), years=(), **kwargs):
        """``sections``: (slug, name) pairs; ``years``: ints (years with published articles)."""
        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self.fields["section"].choices = anything + list(sections)
        self.fields["year"].choices = anything + [(str(year), str(year)) for year in years]
        self.fields["kind"].choices = anything + list(SearchDocument.Kind.choices)
