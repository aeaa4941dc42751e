"""Who may do what to an article: every admin URL that touches one, posted to directly, for every role.

Hiding a button is not a check: each request below goes straight to the URL and the test looks at what happened
in the database, not only at the status code.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, Photo, Status, TrashedArticle
from tests.factories import ArticleFactory, BylineFactory, BylineRoleFactory, ReporterFactory, UserFactory, image_bytes
from tests.test_admin import form_data

pytestmark = pytest.mark.django_db

ROLES = ["owner", "other_reporter", "editor", "chief_editor", "anonymous", "staff_without_group"]
HEADLINE = "记者自己的稿件"


@pytest.fixture
def people(reporter_user, other_reporter_user, editor_user, chief_editor_user):
    return {
        "owner": reporter_user,
        "other_reporter": other_reporter_user,
        "editor": editor_user,
        "chief_editor": chief_editor_user,
        "anonymous": None,
        "staff_without_group": UserFactory(username="staff-only", is_staff=True),
    }


def make_story(people, state):
    """The owner's story with their byline, in ``state``: draft, in_review, published or trashed."""
    owner = people["owner"]
    article = ArticleFactory(created_by=owner, headline=HEADLINE, body="<p>正文。</p>")
    BylineFactory(article=article, reporter=owner.reporter)
    if state in {"in_review", "published"}:
        services.submit_for_review(article, owner)
    if state == "published":
        services.publish(article, people["editor"])
    if state == "trashed":
        services.move_to_trash(article, people["editor"])
    return Article.all_objects.get(pk=article.pk)


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def workflow_url(article, action):
    return reverse("admin:articles_article_workflow", args=[article.pk, action])


def editable_form(client, people, article):
    """A complete change form for ``article``, read as an editor (whoever posts it is tested separately)."""
    client.force_login(people["editor"])
    data = form_data(client.get(change_url(article)))
    client.logout()
    data.pop("newsroom_page_user")  # the editor's page: posted by another role, it would be refused for that alone
    return data


# Each action: the state of the story, what to do, and whether it happened.


def post_headline(client, article, data):
    data.update({"headline": "改过的标题", "_save": "保存"})
    return client.post(change_url(article), data)


def post_new_byline(client, article, data):
    role = BylineRoleFactory(name="摄影")
    reporter = ReporterFactory(name="新加的摄影记者")
    data.update({"bylines-TOTAL_FORMS": "2", "bylines-1-order": "2", "_save": "保存"})
    data.update({"bylines-1-role": str(role.pk), "bylines-1-reporter": str(reporter.pk)})
    return client.post(change_url(article), data)


def post_upload(client, article, data):
    upload = SimpleUploadedFile("现场.png", image_bytes("PNG"), content_type="image/png")
    url = reverse("articles:editor_image_upload") + f"?article={article.pk}"
    return client.post(url, {"upload": upload})


def content_type_id():
    return ContentType.objects.get_for_model(Article).pk


def headline_changed(article, response):
    return Article.all_objects.get(pk=article.pk).headline == "改过的标题"


def status_is(status):
    return lambda article, response=None: Article.all_objects.get(pk=article.pk).status == status


ACTIONS = {
    # name: (state, request, did it happen?, roles allowed)
    "open_change_form": (
        "draft",
        lambda client, article, data: client.get(change_url(article)),
        lambda article, response: response.status_code == 200 and 'name="headline"' in response.content.decode(),
        {"owner", "editor", "chief_editor"},
    ),
    "change_draft": ("draft", post_headline, headline_changed, {"owner", "editor", "chief_editor"}),
    "change_in_review": ("in_review", post_headline, headline_changed, {"editor", "chief_editor"}),
    "change_published": ("published", post_headline, headline_changed, {"editor", "chief_editor"}),
    "add_byline_inline_to_draft": (
        "draft",
        post_new_byline,
        lambda article, response: article.bylines.filter(reporter__name="新加的摄影记者").exists(),
        {"owner", "editor", "chief_editor"},
    ),
    "add_byline_inline_in_review": (
        "in_review",
        post_new_byline,
        lambda article, response: article.bylines.filter(reporter__name="新加的摄影记者").exists(),
        {"editor", "chief_editor"},
    ),
    "history": (
        "draft",
        lambda client, article, data: client.get(reverse("admin:articles_article_history", args=[article.pk])),
        lambda article, response: response.status_code == 200 and HEADLINE in response.content.decode(),
        {"owner", "editor", "chief_editor"},
    ),
    "delete_draft": (
        "draft",
        lambda client, article, data: client.post(
            reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"}
        ),
        lambda article, response: Article.all_objects.get(pk=article.pk).deleted_at is not None,
        {"owner", "editor", "chief_editor"},
    ),
    "delete_published": (
        "published",
        lambda client, article, data: client.post(
            reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"}
        ),
        lambda article, response: Article.all_objects.get(pk=article.pk).deleted_at is not None,
        {"editor", "chief_editor"},
    ),
    "view_on_site_draft": (
        "draft",
        lambda client, article, data: client.get(reverse("admin:view_on_site", args=[content_type_id(), article.pk])),
        lambda article, response: (
            response.status_code == 302 and response["Location"].endswith(article.get_absolute_url())
        ),
        {"owner", "editor", "chief_editor"},
    ),
    "view_on_site_published": (
        "published",
        lambda client, article, data: client.get(reverse("admin:view_on_site", args=[content_type_id(), article.pk])),
        lambda article, response: (
            response.status_code == 302 and response["Location"].endswith(article.get_absolute_url())
        ),
        {"owner", "other_reporter", "editor", "chief_editor", "staff_without_group"},
    ),
    "upload_image_for_the_story": (
        "draft",
        post_upload,
        lambda article, response: response.status_code == 200 and Photo.objects.exists(),
        {"owner", "editor", "chief_editor"},
    ),
    "submit": (
        "draft",
        lambda client, article, data: client.post(workflow_url(article, "submit")),
        lambda article, response: status_is(Status.IN_REVIEW)(article),
        {"owner", "editor", "chief_editor"},
    ),
    "approve": (
        "in_review",
        lambda client, article, data: client.post(workflow_url(article, "approve")),
        lambda article, response: Article.all_objects.get(pk=article.pk).review_level == 1,
        {"editor", "chief_editor"},
    ),
    "return": (
        "in_review",
        lambda client, article, data: client.post(workflow_url(article, "return"), {"comment": "补充"}),
        lambda article, response: status_is(Status.DRAFT)(article),
        {"editor", "chief_editor"},
    ),
    "publish": (
        "in_review",
        lambda client, article, data: client.post(workflow_url(article, "publish")),
        lambda article, response: Article.objects.published().filter(pk=article.pk).exists(),
        {"editor", "chief_editor"},
    ),
    "schedule": (
        "in_review",
        lambda client, article, data: client.post(
            workflow_url(article, "schedule"),
            {"published_at": f"{timezone.localtime() + timezone.timedelta(days=1):%Y-%m-%dT%H:%M}"},
        ),
        lambda article, response: Article.objects.scheduled().filter(pk=article.pk).exists(),
        {"editor", "chief_editor"},
    ),
    "unpublish": (
        "published",
        lambda client, article, data: client.post(workflow_url(article, "unpublish"), {"reason": "撤回"}),
        lambda article, response: status_is(Status.DRAFT)(article),
        {"editor", "chief_editor"},
    ),
    "restore_from_trash": (
        "trashed",
        lambda client, article, data: client.post(
            reverse("admin:articles_trashedarticle_changelist"),
            {"action": "restore_selected", "_selected_action": [article.pk]},
        ),
        lambda article, response: Article.objects.filter(pk=article.pk).exists(),
        {"editor", "chief_editor"},
    ),
    "delete_for_good": (
        "trashed",
        lambda client, article, data: client.post(
            reverse("admin:articles_trashedarticle_delete", args=[article.pk]), {"post": "yes"}
        ),
        lambda article, response: not TrashedArticle.objects.filter(pk=article.pk).exists(),
        {"chief_editor"},
    ),
}

MATRIX = [(action, role, role in ACTIONS[action][3]) for action in ACTIONS for role in ROLES]


def refused(response):
    """A refusal: 403, 404, or a redirect to the login page or the admin index ("does not exist")."""
    if response.status_code in {403, 404, 405}:
        return True
    if response.status_code == 302:
        location = response["Location"]
        return "/login/" in location or location.rstrip("/").endswith("/admin")
    return False


@pytest.mark.parametrize(
    ("action", "role", "allowed"), MATRIX, ids=[f"{a}-{r}-{'yes' if ok else 'no'}" for a, r, ok in MATRIX]
)
def test_role_by_action(client, people, action, role, allowed):
    state, do, happened, _roles = ACTIONS[action]
    article = make_story(people, state)
    data = editable_form(client, people, article) if state != "trashed" else {}
    if people[role] is not None:
        client.force_login(people[role])

    response = do(client, article, data)

    assert happened(article, response) is allowed, (response.status_code, response.get("Location"))
    if not allowed:
        assert refused(response), (response.status_code, response.get("Location"))
        html = response.content.decode() if response.status_code != 302 else ""
        if "你的登录已经过期" in html:
            # A form posted without a login gets back what it sent (articles.middleware.SignedOutSaveMiddleware):
            # its own text, never the story's as stored.
            assert role == "anonymous", role
        elif "你的改动没有保存" in html:
            # The page that gives back what was typed into a story gone beyond reach (submitted, published): only
            # to whoever may still read the story, its reporter here.
            assert role == "owner", role
        elif html:
            assert HEADLINE not in html


@pytest.mark.parametrize("role", ROLES)
def test_the_upload_endpoint_works_without_an_article(client, people, role):
    if people[role] is not None:
        client.force_login(people[role])
    upload = SimpleUploadedFile("现场.png", image_bytes("PNG"), content_type="image/png")

    response = client.post(reverse("articles:editor_image_upload"), {"upload": upload})

    may_upload = role in {"owner", "other_reporter", "editor", "chief_editor"}
    assert Photo.objects.exists() is may_upload
    assert response.status_code == (200 if may_upload else 302 if role == "anonymous" else 403)


def test_the_upload_endpoint_refuses_a_trashed_or_unknown_article(client, people):
    article = make_story(people, "trashed")
    client.force_login(people["editor"])
    for value in [str(article.pk), "999999", "abc"]:
        upload = SimpleUploadedFile("现场.png", image_bytes("PNG"), content_type="image/png")
        response = client.post(reverse("articles:editor_image_upload") + f"?article={value}", {"upload": upload})
        assert response.status_code == 403
    assert not Photo.objects.exists()


def test_view_on_site_hides_a_trashed_article_and_passes_other_objects_on(client, people):
    article = make_story(people, "trashed")
    client.force_login(people["chief_editor"])
    response = client.get(reverse("admin:view_on_site", args=[content_type_id(), article.pk]))
    assert response.status_code == 404

    section = article.section
    section_type = ContentType.objects.get_for_model(section).pk
    response = client.get(reverse("admin:view_on_site", args=[section_type, section.pk]))
    assert response.status_code == 302 and response["Location"].endswith(section.get_absolute_url())


def test_view_on_site_checks_an_entry_through_its_article(client, people):
    from tests.factories import ExperienceEntryFactory

    article = make_story(people, "draft")
    entry = ExperienceEntryFactory(article=article)
    entry_type = ContentType.objects.get_for_model(entry).pk
    client.force_login(people["other_reporter"])
    assert client.get(reverse("admin:view_on_site", args=[entry_type, entry.pk])).status_code == 404
    client.force_login(people["owner"])
    assert client.get(reverse("admin:view_on_site", args=[entry_type, entry.pk])).status_code == 302


@pytest.mark.parametrize("action", ["submit", "approve", "publish"])
def test_workflow_urls_refuse_get(client, people, action):
    article = make_story(people, "in_review")
    client.force_login(people["editor"])
    assert client.get(workflow_url(article, action)).status_code == 405
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


def test_an_unknown_workflow_step_is_404(client, people):
    article = make_story(people, "draft")
    client.force_login(people["editor"])
    assert client.post(workflow_url(article, "delete")).status_code == 404
