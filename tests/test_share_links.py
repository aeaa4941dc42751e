"""Preview links for outside sources: signed, expiring, revocable, read-only, noindex, one article only."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, ShareLink
from tests.factories import (
    ArticleFactory,
    BylineFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    ShareLinkFactory,
    TopicFactory,
)
from tests.views.pages import MENU_QUERIES, main_of

pytestmark = pytest.mark.django_db

# link, then the article with all its parts in its row (bylines, photos, entries, topics, corrections as JSON)
PREVIEW_QUERIES = MENU_QUERIES + 2


@pytest.fixture
def draft():
    return ArticleFactory(headline="尚未发表的现场会报道", body="<p>受访者说的原话。</p>")


@pytest.fixture
def link(draft, editor_user):
    return services.create_share_link(draft, editor_user, note="核对引语的受访者")


def preview(client, link):
    return client.get(services.share_link_url(link))


# --- The service ---------------------------------------------------------------------------------


def test_link_lasts_the_configured_number_of_days_by_default(settings, draft, editor_user):
    settings.NEWSROOM_SHARE_LINK_DAYS = 2

    link = services.create_share_link(draft, editor_user)

    assert link.created_by == editor_user
    assert link.expires_at - link.created_at == timedelta(days=2)
    assert link.is_active()


def test_link_may_last_a_chosen_number_of_days(draft, editor_user):
    link = services.create_share_link(draft, editor_user, note="受访者", days=7)

    assert link.expires_at - link.created_at == timedelta(days=7)
    assert link.note == "受访者"


def test_reporter_cannot_create_or_revoke_links(draft, reporter_user, link):
    draft.created_by = reporter_user
    draft.save()

    with pytest.raises(PermissionDenied):
        services.create_share_link(draft, reporter_user)
    with pytest.raises(PermissionDenied):
        services.revoke_share_link(link, reporter_user)
    assert ShareLink.objects.count() == 1


def test_link_url_carries_a_signed_key(link):
    url = services.share_link_url(link)

    assert url.startswith("/preview/")
    assert link.key.hex in url
    assert url != f"/preview/{link.key.hex}/"  # the key alone opens nothing
    assert services.share_link_for_token(services.share_link_token(link)) == link


# --- The preview -----------------------------------------------------------------------------------


def test_link_shows_the_unpublished_article_to_anyone_who_has_it(client, draft, link):
    assert client.get(draft.get_absolute_url()).status_code == 404  # the public page stays closed

    response = preview(client, link)

    assert response.status_code == 200
    html = main_of(response)
    assert "尚未发表的现场会报道" in html
    assert "受访者说的原话。" in html
    assert 'class="preview-banner"' in html
    assert "not published" in html or "未发表" in html


def test_link_works_until_it_expires_and_not_after(client, clock, link):
    clock.advance(days=2, hours=23)
    assert preview(client, link).status_code == 200

    clock.advance(days=3, seconds=1)
    response = preview(client, link)

    assert response.status_code == 410
    assert "尚未发表的现场会报道" not in response.content.decode()
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_link_whose_expiry_has_passed_is_refused(client):
    link = ShareLinkFactory(expired=True)

    assert preview(client, link).status_code == 410


def test_revoked_link_is_refused_at_once(client, link, editor_user):
    assert preview(client, link).status_code == 200

    services.revoke_share_link(link, editor_user)
    response = preview(client, link)

    assert response.status_code == 410
    assert "尚未发表的现场会报道" not in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature changed
        lambda token: token.split(":")[0],  # the key without its signature
        lambda token: ShareLinkFactory.build().key.hex + ":" + token.split(":")[1],  # another key, same signature
        lambda token: "garbage",
    ],
    ids=["changed signature", "no signature", "other key", "garbage"],
)
def test_tampered_token_is_not_found(client, link, forge):
    token = forge(services.share_link_token(link))

    response = client.get(reverse("articles:share_preview", kwargs={"token": token}))

    assert response.status_code == 404
    assert "尚未发表的现场会报道" not in response.content.decode()


def test_link_to_a_key_never_issued_is_not_found(client):
    never_saved = ShareLinkFactory.build()

    assert preview(client, never_saved).status_code == 404


def test_link_of_an_article_in_the_trash_is_not_found(client, draft, link):
    Article.all_objects.filter(pk=draft.pk).update(deleted_at=timezone.now())

    assert preview(client, link).status_code == 404


def test_preview_shows_only_that_article(client, draft, link):
    topic = TopicFactory()
    draft.topics.add(topic)
    other_draft = ArticleFactory(headline="另一篇未发表的稿件", section=draft.section)
    other_draft.topics.add(topic)
    published = ArticleFactory(headline="同一专题已发表的报道", section=draft.section, published=True)
    published.topics.add(topic)

    html = preview(client, link).content.decode()

    assert "另一篇未发表的稿件" not in html
    assert "同一专题已发表的报道" not in html  # no related stories at all
    assert 'class="related"' not in html
    assert other_draft.get_absolute_url() not in html
    assert "/admin/" not in html


def test_preview_is_marked_noindex_and_has_no_canonical_or_sharing_metadata(client, link):
    response = preview(client, link)
    html = response.content.decode()

    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert 'rel="canonical"' not in html
    assert "og:url" not in html
    assert "application/ld+json" not in html


def test_preview_is_never_cached_and_sends_no_referrer(client, link):
    response = preview(client, link)

    cache_control = response.headers["Cache-Control"]
    assert "no-store" in cache_control
    assert "no-cache" in cache_control
    assert "private" in cache_control
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_preview_of_a_story_published_since_says_so(client, link, draft):
    Article.objects.filter(pk=draft.pk).update(status="published", published_at=timezone.now())

    html = main_of(preview(client, link))

    assert draft.get_absolute_url() in html


@pytest.mark.parametrize("n", [1, 6])
def test_preview_queries_do_not_grow(client, django_assert_num_queries, draft, link, n):
    for _index in range(n):
        BylineFactory(article=draft)
        ExperienceEntryFactory(article=draft)
        CorrectionFactory(article=draft)
        draft.topics.add(TopicFactory())

    with django_assert_num_queries(PREVIEW_QUERIES):
        response = preview(client, link)

    assert response.status_code == 200


# --- The admin ---------------------------------------------------------------------------------------


def add_url():
    return reverse("admin:articles_sharelink_add")


def test_editor_creates_a_link_in_the_admin_and_gets_the_full_address(editor_client, editor_user, draft):
    response = editor_client.post(add_url(), {"article": draft.pk, "note": "受访者王女士", "days": 5}, follow=True)

    link = ShareLink.objects.get()
    assert (link.article, link.created_by, link.note) == (draft, editor_user, "受访者王女士")
    assert link.expires_at - link.created_at == timedelta(days=5)
    full_url = "http://testserver" + services.share_link_url(link)
    assert full_url in response.content.decode()

    changelist = editor_client.get(reverse("admin:articles_sharelink_changelist")).content.decode()
    assert full_url in changelist


def test_editor_revokes_links_with_the_admin_action(editor_client, link):
    editor_client.post(
        reverse("admin:articles_sharelink_changelist"),
        {"action": "revoke_links", "_selected_action": [link.pk]},
    )

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert not link.is_active()


def test_reporter_has_no_access_to_links(reporter_client, reporter_user, draft, link):
    draft.created_by = reporter_user
    draft.save()

    assert reporter_client.post(add_url(), {"article": draft.pk, "note": "x", "days": 3}).status_code == 403
    assert reporter_client.get(reverse("admin:articles_sharelink_changelist")).status_code == 403
    assert reporter_client.get(reverse("admin:articles_sharelink_change", args=[link.pk])).status_code == 403
    assert ShareLink.objects.count() == 1


def test_editor_cannot_make_a_link_to_an_article_in_the_trash(editor_client, draft):
    Article.all_objects.filter(pk=draft.pk).update(deleted_at=timezone.now())

    response = editor_client.post(add_url(), {"article": draft.pk, "note": "x", "days": 3})

    assert response.status_code == 200  # the form comes back with an error
    assert not ShareLink.objects.exists()


def test_article_autocomplete_offers_the_editors_articles(editor_client, draft):
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "sharelink", "field_name": "article", "term": "尚未发表"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(draft.pk)]


def test_preview_names_the_people_organisations_and_topics_of_the_story_without_links_to_missing_pages(
    client, draft, link
):
    """A correspondent, an organisation and a topic known only from this unpublished story have no page yet (404):
    the outside source reads their names, with no link that would lead to 页面不存在."""
    from tests.factories import OrganizationFactory, ReporterFactory

    BylineFactory(article=draft, reporter=ReporterFactory(name="通讯员周某", slug="zhou-mou"))
    ExperienceEntryFactory(article=draft, organization=OrganizationFactory(name="白沙县妇联", slug="baisha"))
    draft.topics.add(TopicFactory(title="换届选举", slug="huanjie"))

    html = main_of(preview(client, link))

    assert "通讯员周某" in html and "白沙县妇联" in html and "换届选举" in html
    for path in ("/reporters/zhou-mou/", "/organizations/baisha/", "/topics/huanjie/"):
        assert client.get(path).status_code == 404
        assert f'href="{path}"' not in html
