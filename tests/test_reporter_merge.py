"""Merging reporters (a correspondent entered twice: by hand and by a manuscript's import, or with a typo) from the
reporters' list in the admin."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, Byline, Reporter
from tests.factories import ArticleFactory, BylineFactory, BylineRoleFactory, PhotoFactory, ReporterFactory
from tests.views.pages import headlines_in, main_of, text_of

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_reporter_changelist")


@pytest.fixture
def twice(chief_editor_user, client):
    """刘敏 of 白沙县妇联, a correspondent, entered by hand and again by an import as 刘 敏: a story that came out
    under each name, one story naming both, and a draft naming the duplicate."""
    client.force_login(chief_editor_user)
    correspondent = BylineRoleFactory(name="通讯员")
    kept = ReporterFactory(name="刘敏", slug="liu-min", affiliation="白沙县妇联")
    duplicate = ReporterFactory(name="刘 敏", slug="reporter-1a2b3c")
    first = ArticleFactory(headline="巾帼家政进万家", published=True)
    BylineFactory(article=first, reporter=kept, role=correspondent)
    second = ArticleFactory(headline="家门口就业", published=True)
    BylineFactory(article=second, reporter=duplicate, role=correspondent)
    both = ArticleFactory(headline="两个刘敏", published=True)
    BylineFactory(article=both, reporter=kept, role=correspondent, order=0)
    BylineFactory(article=both, reporter=duplicate, role=correspondent, order=1)
    draft = ArticleFactory(headline="下期稿件")
    BylineFactory(article=draft, reporter=duplicate, role=correspondent)
    photo = PhotoFactory(credit_reporter=duplicate)
    return {"kept": kept, "duplicate": duplicate, "draft": draft, "both": both, "photo": photo, "client": client}


def merge(client, sources, target=None):
    data = {"action": "merge_reporters", ACTION_CHECKBOX_NAME: [source.pk for source in sources]}
    if target is not None:
        data.update({"post": "yes", "target": target.pk})
    return client.post(CHANGELIST, data)


def test_merging_moves_the_bylines_and_address_to_the_one_kept(twice):
    """There was no way short of opening each of the duplicate's stories and changing its byline by hand."""
    client, kept, duplicate = twice["client"], twice["kept"], twice["duplicate"]

    confirm = merge(client, [duplicate])
    assert confirm.status_code == 200
    assert "刘 敏：3 条署名" in confirm.content.decode()
    # The one kept is found by typing (an autocomplete box: 2,000 reporters made a drop-down of 2,000 lines), and
    # its answers tell namesakes apart.
    assert 'data-model-name="photo"' in confirm.content.decode() and "admin-autocomplete" in confirm.content.decode()
    assert "刘敏（白沙县妇联）" in autocomplete(client, "刘", "photo", "credit_reporter")
    # The page's own form merges them: it names the action and the reporters chosen.
    assert '<input type="hidden" name="action" value="merge_reporters">' in confirm.content.decode()
    assert f'name="{ACTION_CHECKBOX_NAME}" value="{duplicate.pk}"' in confirm.content.decode()
    assert Reporter.objects.filter(pk=duplicate.pk).exists()  # nothing merged before the choice

    response = merge(client, [duplicate], target=kept)

    assert response.status_code == 302
    assert not Reporter.objects.filter(pk=duplicate.pk).exists()
    assert set(Byline.objects.values_list("reporter", flat=True)) == {kept.pk}
    assert twice["draft"].bylines.get().shown_name == "刘敏"  # a draft takes the kept name
    assert list(twice["both"].bylines.all()) == [twice["both"].bylines.get()]  # one byline per story and role
    twice["photo"].refresh_from_db()
    assert twice["photo"].credit_reporter == kept
    # The duplicate's page leads to the one kept, which lists every story at once; what came out keeps its byline.
    assert client.get("/reporters/reporter-1a2b3c/")["Location"] == kept.get_absolute_url()
    client.logout()
    page = client.get(kept.get_absolute_url())
    assert sorted(headlines_in(page)) == sorted(["巾帼家政进万家", "家门口就业", "两个刘敏"])
    story = Article.objects.get(headline="家门口就业")
    assert "通讯员&nbsp;刘 敏" in text_of(client.get(story.get_absolute_url()).content.decode())


def test_a_story_that_came_out_keeps_the_photo_credit_it_was_printed_under(twice):
    """The credit under the duplicate's photo, in a story that had come out, took the kept one's name at the merge
    while its byline kept the name printed; a story out later credits the one kept."""
    client, kept, duplicate, photo = twice["client"], twice["kept"], twice["duplicate"], twice["photo"]
    story = Article.objects.get(headline="家门口就业")
    story.lead_photo = photo
    story.save()
    later = ArticleFactory(headline="合并之后", lead_photo=photo)

    merge(client, [duplicate], target=kept)
    client.logout()
    later.status, later.published_at = "published", timezone.now()
    later.save()

    assert "摄影：刘 敏" in text_of(main_of(client.get(story.get_absolute_url())))
    assert "摄影：刘敏" in text_of(main_of(client.get(later.get_absolute_url())))


def test_the_duplicate_s_login_goes_to_the_one_kept(twice, make_reporter_user):
    """A reporter entered again by hand, with her login on the duplicate: her stories stay hers to edit."""
    client, kept, duplicate = twice["client"], twice["kept"], twice["duplicate"]
    user = make_reporter_user(username="liumin", name="刘敏临时")
    Reporter.objects.filter(user=user).delete()
    duplicate.user = user
    duplicate.save()

    merge(client, [duplicate], target=kept)

    kept.refresh_from_db()
    assert kept.user == user
    assert Article.objects.editable_by(user).filter(pk=twice["draft"].pk).exists()


def test_two_logins_are_not_merged(twice, make_reporter_user):
    client, duplicate = twice["client"], twice["duplicate"]
    kept = make_reporter_user(username="liumin", name="刘敏二").reporter
    user = make_reporter_user(username="liumin2", name="刘敏三")
    Reporter.objects.filter(user=user).delete()
    duplicate.user = user
    duplicate.save()

    response = merge(client, [duplicate], target=kept)

    assert response.status_code == 200
    assert "刘敏二、刘 敏各有一个登录账号" in response.content.decode()
    assert Reporter.objects.filter(pk=duplicate.pk).exists()


def test_an_editor_cannot_merge(client, editor_user, twice):
    client.force_login(editor_user)

    merge(client, [twice["duplicate"]], target=twice["kept"])

    assert Reporter.objects.filter(pk=twice["duplicate"].pk).exists()


def test_a_version_naming_a_merged_reporter_is_restored_with_the_one_kept(twice, editor_user):
    """The merge moves the bylines without a version: restoring an older one would leave the byline out."""
    from tests.test_history import save_version

    client, kept, duplicate = twice["client"], twice["kept"], twice["duplicate"]
    story = Article.objects.get(headline="家门口就业")
    save_version(story, *story.bylines.all(), comment="as printed")
    merge(client, [duplicate], target=kept)

    services.restore_version(story, services.article_versions(story).first(), editor_user)

    assert [(b.reporter, b.shown_name) for b in story.bylines.all()] == [(kept, "刘 敏")]
    assert "未恢复" not in story.transitions.get().comment


def test_comparing_a_version_from_before_a_merge_shows_no_change_of_byline(twice):
    """A version saved before the merge names the duplicate, deleted by it: the comparison with a version saved after
    showed the byline changed from （已删除） to 刘敏, though nobody touched it. It reads the duplicate as the one kept."""
    from tests.test_history import save_version

    client, kept, duplicate = twice["client"], twice["kept"], twice["duplicate"]
    story = Article.objects.get(headline="家门口就业")
    save_version(story, *story.bylines.all(), comment="as printed")
    merge(client, [duplicate], target=kept)
    story.refresh_from_db()
    story.headline = "家门口就业（更新）"
    save_version(story, *story.bylines.all(), comment="headline")

    newest, older = services.article_versions(story)[:2]
    changes = dict(services.compare_versions(older, newest))

    assert list(changes) == ["标题"]


def autocomplete(client, term, model_name, field_name):
    """The labels an admin autocomplete box offers for ``term``."""
    url = reverse("admin:autocomplete")
    query = {"app_label": "articles", "model_name": model_name, "field_name": field_name, "term": term}
    return [result["text"] for result in client.get(url, query).json()["results"]]


def byline_box(client, term):
    return autocomplete(client, term, "byline", "reporter")


def test_a_departed_duplicate_s_ended_login_does_not_go_to_the_one_kept(twice, make_reporter_user):
    """刘 敏 left (在职 unticked, her login ended with it): merged into 刘敏, a correspondent at work, the ended login
    became 刘敏's, and 刘敏 dropped out of the byline box (it leaves out reporters whose login is deactivated)."""
    client, kept, duplicate = twice["client"], twice["kept"], twice["duplicate"]
    user = make_reporter_user(username="liumin", name="刘敏临时")
    Reporter.objects.filter(user=user).delete()
    duplicate.user, duplicate.is_active = user, False
    duplicate.save()
    services.end_login(user)

    assert merge(client, [duplicate], target=kept).status_code == 302

    kept.refresh_from_db()
    assert kept.user is None and kept.is_active
    assert byline_box(client, "刘") == ["刘敏（白沙县妇联）"]


def test_an_active_login_is_not_merged_into_a_departed_reporter(twice, make_reporter_user):
    """刘敏 left (在职 unticked): merging 刘 敏, who has an active login, into her gave a departed reporter a login
    in use, which marking her as departed is meant to end."""
    client, kept, duplicate = twice["client"], twice["kept"], twice["duplicate"]
    kept.is_active = False
    kept.save()
    user = make_reporter_user(username="liumin", name="刘敏临时")
    Reporter.objects.filter(user=user).delete()
    duplicate.user = user
    duplicate.save()

    response = merge(client, [duplicate], target=kept)

    assert response.status_code == 200
    assert "刘敏已离职（未勾选“在职”），而刘 敏的登录账号（liumin）仍有效" in response.content.decode()
    assert Reporter.objects.filter(pk=duplicate.pk).exists()
    kept.refresh_from_db()
    assert kept.user is None


def test_a_version_is_restored_with_the_one_kept_after_it_takes_the_merged_one_s_address(twice, editor_user):
    """The one kept (made by an import, reporter-…) takes the nicer address of the duplicate merged into it: the
    address's record, which also says whom it belonged to, was deleted, and a version naming the duplicate then lost
    its byline on restore ("未恢复")."""
    from tests.test_history import save_version

    client, kept, duplicate = twice["client"], twice["duplicate"], twice["kept"]  # 刘 敏 kept, 刘敏 merged
    story = Article.objects.get(headline="巾帼家政进万家")
    save_version(story, *story.bylines.all(), comment="as printed")
    merge(client, [duplicate], target=kept)
    kept.refresh_from_db()
    kept.slug = "liu-min"  # the merged one's address, now the kept one's
    kept.save()

    services.restore_version(story, services.article_versions(story).first(), editor_user)

    assert [(b.reporter, b.shown_name) for b in story.bylines.all()] == [(kept, "刘敏")]
    assert "未恢复" not in story.transitions.get().comment
    assert client.get("/reporters/liu-min/").status_code == 200


def test_choosing_one_of_those_merged_is_refused_by_name(twice):
    """The box offers every reporter, those being merged too (the drop-down left them out): one of them chosen, the
    page says that it is merged itself, keeps it in the box, and merges nothing; Django's "not one of the available
    choices" named no reason and emptied the box."""
    client, duplicate = twice["client"], twice["duplicate"]

    response = merge(client, [duplicate], target=duplicate)

    assert response.status_code == 200
    page = response.content.decode()
    assert "刘 敏是要合并的记者之一，请选择合并后保留的那一位。" in page
    assert f'<option value="{duplicate.pk}" selected>刘 敏</option>' in page
    assert Byline.objects.filter(reporter=duplicate).count() == 3 and Reporter.objects.filter(pk=duplicate.pk).exists()
