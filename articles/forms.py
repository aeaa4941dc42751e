"""Public forms: the filters of the experience-sharing index and the print-edition date picker.

Query strings are not trusted: every value is checked against a fixed list of choices (never looked up in the
database as typed, so a NUL byte or a stray string can never reach a query), and invalid values are ignored.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from articles.models import ExperienceEntry, Organization, SearchDocument


class ExperienceEntryFilterForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), required=False)
    form = forms.ChoiceField(label=_("Form"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    organization = forms.ChoiceField(label=_("Organisation"), required=False)

    def __init__(self, *args, organizations=(), years=(), **kwargs):
        """``organizations``: (slug, name) pairs; ``years``: ints. Both come from published entries."""
        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self.fields["level"].choices = anything + list(Organization.Level.choices)
        self.fields["form"].choices = anything + list(ExperienceEntry.Form.choices)
        self.fields["year"].choices = anything + [(str(year), str(year)) for year in years]
        self.fields["organization"].choices = anything + list(organizations)

    def filters(self):
        """The valid, non-empty filters; an invalid value is dropped rather than reported."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class PrintIssueForm(forms.Form):
    date = forms.DateField(label=_("Issue date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class SearchFilterForm(forms.Form):
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

    def filters(self):
        """The valid, non-empty filters; an invalid value is dropped rather than reported."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
