"""Organisation pages: its entries across articles and years, its place in the tree, nothing unpublished."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, ExperienceEntryFactory, OrganizationFactory
from tests.views.pages import MENU_QUERIES, UNPUBLISHED, entry_titles_in, links_in, main_of, text_of

pytestmark = pytest.mark.django_db

# menu, organisation (parent joined), the page's entries (article joined) with the list's length (a subquery),
# child organisations
ORGANIZATION_PAGE_QUERIES = MENU_QUERIES + 3


def at(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 8, 0))


def test_organization_page_lists_its_entries_across_years_newest_first(client):
    organization = OrganizationFactory(name="桐溪市妇女联合会", short_name="桐溪市妇联")
    old = ArticleFactory(headline="去年的推进会", published=True, published_at=at(2025, 11, 3))
    new = ArticleFactory(headline="今年的推进会", published=True, published_at=at(2026, 11, 20))
    ExperienceEntryFactory(article=old, organization=organization, title="去年经验")
    ExperienceEntryFactory(article=new, organization=organization, title="今年经验")
    ExperienceEntryFactory(article=new, title="别人的经验")

    response = client.get(organization.get_absolute_url())
    html = main_of(response)

    assert response.status_code == 200
    assert entry_titles_in(response) == ["桐溪市妇联：今年经验", "桐溪市妇联：去年经验"]
    years = [text_of(h) for h in re.findall(r'<h2 class="year-heading">.*?</h2>', html, re.S)]
    assert years == ["2026年", "2025年"]
    assert new.get_absolute_url() in links_in(html) and old.get_absolute_url() in links_in(html)
    entry = new.experience_entries.get(title="今年经验")
    assert entry.get_absolute_url() in links_in(html)


def test_organization_page_shows_its_public_parent_and_children(client):
    province = OrganizationFactory(name="江岚省妇联", level="province")
    city = OrganizationFactory(name="桐溪市妇联", parent=province)
    county = OrganizationFactory(name="白沙县妇联", level="county", parent=city)
    silent = OrganizationFactory(name="没有经验的县妇联", level="county", parent=city)
    article = ArticleFactory(published=True)
    for organization in (province, city, county):
        ExperienceEntryFactory(article=article, organization=organization)
    ExperienceEntryFactory(article=ArticleFactory(), organization=silent)  # a draft only

    html = main_of(client.get(city.get_absolute_url()))

    assert province.get_absolute_url() in links_in(html)
    children = re.search(r'<section class="org-children".*?</section>', html, re.S).group(0)
    assert county.get_absolute_url() in links_in(children)
    assert "没有经验的县妇联" not in html


def test_parent_without_published_entries_is_not_linked(client):
    parent = OrganizationFactory(name="只有草稿的上级")
    child = OrganizationFactory(parent=parent)
    ExperienceEntryFactory(organization=child, article=ArticleFactory(published=True))
    ExperienceEntryFactory(organization=parent, article=ArticleFactory())

    html = main_of(client.get(child.get_absolute_url()))
    assert parent.get_absolute_url() not in links_in(html)
    assert "只有草稿的上级" not in html


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_organization_page_never_shows_entries_of_unpublished_articles(client, state):
    organization = OrganizationFactory()
    ExperienceEntryFactory(organization=organization, article=ArticleFactory(**state), title="不该出现")
    ExperienceEntryFactory(organization=organization, article=ArticleFactory(just_published=True), title="刚发布")

    response = client.get(organization.get_absolute_url())

    assert [title.split("：")[1] for title in entry_titles_in(response)] == ["刚发布"]
    assert "不该出现" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_organisation_without_published_entries_has_no_public_page(client, state):
    organization = OrganizationFactory(name="只有未发布稿件的妇联")
    ExperienceEntryFactory(article=ArticleFactory(**state), organization=organization)

    response = client.get(organization.get_absolute_url())

    assert response.status_code == 404
    assert "只有未发布稿件的妇联" not in response.content.decode()


def test_organisation_page_opens_once_its_scheduled_entry_goes_live(client, clock):
    organization = OrganizationFactory()
    ExperienceEntryFactory(article=ArticleFactory(scheduled=True), organization=organization)
    assert client.get(organization.get_absolute_url()).status_code == 404

    clock.advance(days=2)
    assert client.get(organization.get_absolute_url()).status_code == 200


def test_organization_page_is_paginated(client):
    organization = OrganizationFactory()
    ExperienceEntryFactory.create_batch(21, organization=organization, article=ArticleFactory(published=True))
    url = organization.get_absolute_url()
    assert len(entry_titles_in(client.get(url))) == 20
    assert len(entry_titles_in(client.get(f"{url}?page=2"))) == 1
    assert "第 2 页，共 2 页" in text_of(main_of(client.get(f"{url}?page=2")))
    assert len(entry_titles_in(client.get(f"{url}?page=last"))) == 1
    assert client.get(f"{url}?page=3").status_code == 404


@pytest.mark.parametrize("n", [1, 12])
def test_organization_page_queries_do_not_grow(client, django_assert_num_queries, n):
    parent = OrganizationFactory()
    organization = OrganizationFactory(parent=parent)
    ExperienceEntryFactory(organization=parent, article=ArticleFactory(published=True))
    for article in ArticleFactory.create_batch(n, published=True):
        ExperienceEntryFactory(article=article, organization=organization)
        ExperienceEntryFactory(article=article, organization=OrganizationFactory(parent=organization))

    assert ORGANIZATION_PAGE_QUERIES <= 4  # issue 8: list pages run 4 queries at most, menu included
    with django_assert_num_queries(ORGANIZATION_PAGE_QUERIES):
        response = client.get(organization.get_absolute_url())
    assert len(entry_titles_in(response)) == n
    assert main_of(response).count('href="/organizations/organization-') == n + 1  # children and the parent
    with django_assert_num_queries(1):  # the entries: the menu, the organisation and its children are kept
        assert main_of(client.get(organization.get_absolute_url())) == main_of(response)


def test_a_kept_organisations_parent_and_children_follow_edits_and_scheduled_entries(client, clock):
    """The organisation and its children are kept under the content generation until the next scheduled entry
    goes live: a renamed child shows at once, and a parent and a child whose first entries were scheduled get
    their links when their time comes, with nothing else changing."""
    parent = OrganizationFactory(name="定时的上级")
    organization = OrganizationFactory(parent=parent)
    child = OrganizationFactory(name="旧名下级", parent=organization)
    later = OrganizationFactory(name="定时的下级", parent=organization)
    article = ArticleFactory(published=True)
    ExperienceEntryFactory(organization=organization, article=article)
    ExperienceEntryFactory(organization=child, article=article)
    scheduled = ArticleFactory(scheduled=True, published_at=timezone.now() + timedelta(hours=2))
    ExperienceEntryFactory(organization=parent, article=scheduled)
    ExperienceEntryFactory(organization=later, article=scheduled)
    url = organization.get_absolute_url()
    html = main_of(client.get(url))
    assert "旧名下级" in html and "定时的上级" not in html and "定时的下级" not in html
    child.name = "新名下级"
    child.save()
    assert "新名下级" in main_of(client.get(url))
    clock.advance(hours=3)
    html = main_of(client.get(url))
    assert parent.get_absolute_url() in links_in(html) and later.get_absolute_url() in links_in(html)
