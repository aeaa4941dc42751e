"""Merging organisations (federations merged, or one entered twice) from the organisations' list in the admin."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from articles.models import ExperienceEntry, Organization
from tests.factories import ArticleFactory, ExperienceEntryFactory, OrganizationFactory
from tests.views.pages import entry_titles_in

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_organization_changelist")


@pytest.fixture
def twice(chief_editor_user, client):
    """白沙县妇联 entered twice (once by an import), with entries, and a member organisation under the duplicate."""
    client.force_login(chief_editor_user)
    county = OrganizationFactory(name="桐溪市白沙县妇女联合会", short_name="白沙县妇联", slug="baisha-xian-fulian")
    duplicate = OrganizationFactory(name="白沙县妇联", slug="org-1a2b3c")
    town = OrganizationFactory(name="石门镇妇联", parent=duplicate)
    printed = ArticleFactory(headline="经验交流会", published=True)
    ExperienceEntryFactory(article=printed, organization=county, title="巾帼家政")
    ExperienceEntryFactory(article=printed, organization=duplicate, title="家门口就业")
    draft = ArticleFactory(headline="下期交流")
    ExperienceEntryFactory(article=draft, organization=duplicate, title="新的经验")
    return {"county": county, "duplicate": duplicate, "town": town, "client": client}


def merge(client, sources, target=None):
    data = {"action": "merge_organizations", ACTION_CHECKBOX_NAME: [source.pk for source in sources]}
    if target is not None:
        data.update({"post": "yes", "target": target.pk})
    return client.post(CHANGELIST, data)


def test_merging_moves_the_entries_members_and_address_to_the_one_kept(twice):
    client, county, duplicate = twice["client"], twice["county"], twice["duplicate"]

    confirm = merge(client, [duplicate])
    assert confirm.status_code == 200
    assert "白沙县妇联：2 条经验交流" in confirm.content.decode()
    # The page's own form merges them: it names the action and the organisations chosen.
    assert '<input type="hidden" name="action" value="merge_organizations">' in confirm.content.decode()
    assert f'name="{ACTION_CHECKBOX_NAME}" value="{duplicate.pk}"' in confirm.content.decode()
    # The one kept is found by typing, as a parent organisation is (3,000 organisations made a drop-down of 3,000).
    assert 'data-model-name="organization" data-field-name="parent"' in confirm.content.decode()
    assert Organization.objects.filter(pk=duplicate.pk).exists()  # nothing merged before the choice

    response = merge(client, [duplicate], target=county)

    assert response.status_code == 302
    assert not Organization.objects.filter(pk=duplicate.pk).exists()
    assert ExperienceEntry.objects.filter(organization=county).count() == 3
    assert Organization.objects.get(pk=twice["town"].pk).parent == county
    # The duplicate's page leads to the one kept, which lists every entry at once; the printed one keeps its name.
    assert client.get("/organizations/org-1a2b3c/")["Location"] == county.get_absolute_url()
    client.logout()
    assert entry_titles_in(client.get(county.get_absolute_url())) == ["白沙县妇联：巾帼家政", "白沙县妇联：家门口就业"]


def test_an_organisation_cannot_be_merged_into_one_of_its_own_members(twice):
    client, duplicate, town = twice["client"], twice["duplicate"], twice["town"]

    response = merge(client, [duplicate], target=town)

    assert response.status_code == 200
    assert "石门镇妇联隶属于白沙县妇联：请选择被合并单位以外的单位。" in response.content.decode()
    assert Organization.objects.filter(pk=duplicate.pk).exists()


def test_a_reporter_cannot_merge(client, reporter_user, twice):
    duplicate, county = twice["duplicate"], twice["county"]
    client.force_login(reporter_user)

    merge(client, [duplicate], target=county)

    assert Organization.objects.filter(pk=duplicate.pk).exists()


def test_a_version_naming_a_merged_organisation_is_restored_with_the_one_kept(twice, editor_user):
    """The merge moved the entries without a version: restoring an older one left the merged organisation's entry
    out (its organisation no longer existed)."""
    from articles import services
    from articles.models import Article
    from tests.test_history import save_version

    client, county, duplicate = twice["client"], twice["county"], twice["duplicate"]
    story = Article.objects.get(headline="经验交流会")
    save_version(story, *story.experience_entries.all(), comment="as printed")
    merge(client, [duplicate], target=county)

    services.restore_version(story, services.article_versions(story).first(), editor_user)

    entries = {entry.title: entry.organization for entry in story.experience_entries.all()}
    assert entries == {"巾帼家政": county, "家门口就业": county}
    assert "未恢复" not in story.transitions.get().comment


def test_comparing_a_version_from_before_a_merge_shows_no_change_of_entry(twice):
    """A version saved before the merge names the duplicate, deleted by it: compared with one saved after, the entry
    seemed to move from （已删除） to the one kept. It reads the duplicate as the one kept."""
    from articles import services
    from articles.models import Article
    from tests.test_history import save_version

    client, county, duplicate = twice["client"], twice["county"], twice["duplicate"]
    story = Article.objects.get(headline="经验交流会")
    save_version(story, *story.experience_entries.all(), comment="as printed")
    merge(client, [duplicate], target=county)
    story.refresh_from_db()
    story.headline = "经验交流会（更新）"
    save_version(story, *story.experience_entries.all(), comment="headline")

    newest, older = services.article_versions(story)[:2]

    assert list(dict(services.compare_versions(older, newest))) == ["标题"]


def test_choosing_one_of_those_merged_is_refused_by_name(twice):
    """The box offers every organisation, those being merged too: one of them chosen, the page says so by name and
    merges nothing."""
    client, duplicate = twice["client"], twice["duplicate"]

    response = merge(client, [duplicate], target=duplicate)

    assert response.status_code == 200
    assert "白沙县妇联是要合并的组织之一，请选择合并后保留的那一个。" in response.content.decode()
    assert Organization.objects.filter(pk=duplicate.pk).exists()
    assert ExperienceEntry.objects.filter(organization=duplicate).count() == 2
