"""An organisation renamed (a county that became a district): what was printed keeps the name it was printed under."""

import pytest
from django.urls import reverse

from articles import services
from tests.factories import ArticleFactory, ExperienceEntryFactory, OrganizationFactory
from tests.views.pages import entry_titles_in, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def renamed():
    """A roundup that came out with an entry of 白沙县妇联 and a draft with another; then the county becomes a
    district and its federation is renamed."""
    organization = OrganizationFactory(name="桐溪市白沙县妇女联合会", short_name="白沙县妇联")
    printed = ArticleFactory(headline="去年的经验交流会", published=True)
    ExperienceEntryFactory(article=printed, organization=organization, title="巾帼家政进万家")
    services.reindex_article(printed)
    draft = ArticleFactory(headline="下期的经验交流")
    ExperienceEntryFactory(article=draft, organization=organization, title="新的经验")
    organization.name, organization.short_name = "桐溪市白沙区妇女联合会", "白沙区妇联"
    organization.save()
    return organization, printed, draft


def test_a_published_entry_keeps_the_name_it_was_printed_under(client, renamed):
    """Every past entry, its roundup, the organisation's page and search showed today's name."""
    organization, printed, _draft = renamed

    assert "白沙县妇联：巾帼家政进万家" in text_of(client.get(printed.get_absolute_url()).content.decode())
    assert entry_titles_in(client.get(organization.get_absolute_url())) == ["白沙县妇联：巾帼家政进万家"]
    assert "白沙县妇联" in text_of(client.get(reverse("articles:experience_entry_list")).content.decode())
    services.reindex_article(printed)  # as the rename's background job does
    found = client.get(reverse("articles:search"), {"q": "白沙县妇联"}).context["results"]
    assert [result.document["heading"] for result in found] == ["白沙县妇联：巾帼家政进万家"]


def test_a_draft_s_entry_takes_the_new_name(renamed):
    _organization, _printed, draft = renamed
    assert draft.experience_entries.get().shown_name == "白沙区妇联"


def test_an_entry_moved_to_another_organisation_takes_that_one_s_name(renamed):
    """Moving an entry corrects a mistake: the old organisation's printed name was never this one's."""
    _organization, printed, _draft = renamed
    entry = printed.experience_entries.get()
    entry.organization = OrganizationFactory(name="桐溪市妇女联合会", short_name="桐溪市妇联")
    entry.save()

    entry.refresh_from_db()
    assert (entry.printed_name, entry.shown_name) == ("", "桐溪市妇联")


def test_renaming_again_keeps_the_first_printed_name(renamed):
    organization, printed, _draft = renamed
    organization.short_name = "白沙区妇女联合会"
    organization.save()

    assert printed.experience_entries.get().shown_name == "白沙县妇联"
