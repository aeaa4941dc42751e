"""The admin: every page opens, lists cost a fixed number of queries, and reporters and editors keep their roles."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import services
from articles.models import Article, FrontPageSlot, Organization, Section, Status, Topic, TrashedArticle
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    ShareLinkFactory,
    TopicFactory,
    UserFactory,
    WatchWordFactory,
)

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The fields a browser would submit from one form of a page, with their current values."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.fields = []  # (name, value) pairs, in document order
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
            return
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
                return
            self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "options": [], "selected": []}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            self.select["options"].append(value)
            if "selected" in attrs:
                self.select["selected"].append(value)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["selected"] or ([] if self.select["multiple"] else self.select["options"][:1])
            self.fields.extend((self.select["name"], value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None


def form_data(response, form_id="article_form"):
    """The POST data of a rendered admin form, as a dict of lists, without the empty-form templates."""
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    data = {}
    for name, value in parser.fields:
        if "__prefix__" not in name:
            data.setdefault(name, []).append(value)
    return data


def saved_in_admin(client, story, **changes):
    """Save the story's change form with ``changes`` as whoever ``client`` is; returns the form's address."""
    change_url = admin_url(story, "change", story.pk)
    data = form_data(client.get(change_url))
    data.update({**changes, "_save": "保存"})
    assert client.post(change_url, data).status_code == 302
    return change_url


def formset_prefixes(data):
    return {name.removesuffix("-TOTAL_FORMS") for name in data if name.endswith("-TOTAL_FORMS")}


def errors_of(response):
    """Every error of an admin form page, to show why a post was refused."""
    if response.context is None or "adminform" not in response.context:
        return None
    errors = {"form": response.context["adminform"].form.errors}
    for inline in response.context["inline_admin_formsets"]:
        errors[inline.formset.prefix] = [inline.formset.non_form_errors(), *inline.formset.errors]
    return errors


def admin_url(model_or_obj, view, *args):
    meta = model_or_obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


# --- Every page opens ---------------------------------------------------------------------------------


def _a_queued_job():
    from articles.tasks import reindex_reporter_articles

    return DBTaskResult.objects.get(pk=reindex_reporter_articles.enqueue(ReporterFactory().pk).id)


def an_object_of(model):
    makers = {
        "article": lambda: ArticleFactory(published=True),
        "reporter": ReporterFactory,
        "bylinerole": BylineRoleFactory,
        "section": SectionFactory,
        "topic": TopicFactory,
        "organization": OrganizationFactory,
        "photo": PhotoFactory,
        "user": UserFactory,
        "group": lambda: Group.objects.create(name="校对"),
        "frontpageslot": lambda: FrontPageSlot.objects.create(position=1, article=ArticleFactory(published=True)),
        "watchword": WatchWordFactory,
        "trashedarticle": lambda: TrashedArticle.objects.get(pk=ArticleFactory(deleted_at=timezone.now()).pk),
        "sharelink": lambda: ShareLinkFactory(note="核对引语的受访者"),
        # django-axes' records of logins (read-only in the admin: a lockout is lifted by deleting its attempt).
        "accessattempt": lambda: AccessAttempt.objects.create(
            username="bianji", ip_address="10.0.0.1", user_agent="", failures_since_start=5
        ),
        "accesslog": lambda: AccessLog.objects.create(username="bianji", ip_address="10.0.0.1", user_agent=""),
        # django-tasks-db's queue (read-only in the admin: jobs are enqueued by the code).
        "dbtaskresult": _a_queued_job,
        "accessfailurelog": lambda: AccessFailureLog.objects.create(
            username="bianji", ip_address="10.0.0.1", user_agent=""
        ),
    }
    return makers[model._meta.model_name]()


REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def test_every_newsroom_model_is_in_the_admin():
    names = {model._meta.label for model in REGISTERED}
    expected = {"Article", "Reporter", "BylineRole", "Section", "Topic", "Organization", "Photo"}
    assert {f"articles.{name}" for name in expected} <= names


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_admin_opens_changelist_add_and_change_pages(admin_client, model):
    obj = an_object_of(model)

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    # Nothing is added to the trash by hand (stories get there by being deleted), nor to the login records or the
    # job queue.
    no_add = {TrashedArticle, AccessAttempt, AccessLog, AccessFailureLog, DBTaskResult}
    assert admin_client.get(admin_url(model, "add")).status_code == (403 if model in no_add else 200)
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


def test_a_byline_box_names_the_reporter_chosen_as_its_answers_do(admin_client):
    """The byline box's answers tell namesakes apart by where they work (刘敏（白沙县妇联）); once saved, the story's
    page showed the chosen one as a bare 刘敏 again, as if another might have been meant."""
    article = ArticleFactory()
    kept = ReporterFactory(name="刘敏", affiliation="白沙县妇联")
    BylineFactory(article=article, reporter=kept)

    html = admin_client.get(admin_url(article, "change", article.pk)).content.decode()

    assert f'<option value="{kept.pk}" selected>刘敏（白沙县妇联）</option>' in html


def test_article_change_page_shows_its_inlines_and_the_rich_text_editor(admin_client):
    article = ArticleFactory(body="<p>正文</p>")
    BylineFactory(article=article, reporter=ReporterFactory(name="李晓萌"))
    ArticlePhotoFactory(article=article, caption="推进会现场。")
    ExperienceEntryFactory(article=article, title="让妇联组织活起来")

    html = admin_client.get(admin_url(article, "change", article.pk)).content.decode()

    assert "李晓萌" in html
    assert "推进会现场。" in html
    assert "让妇联组织活起来" in html
    assert html.count('data-ckeditor="true"') >= 2  # the article body and the entry's body (and its template row)
    assert "vendor/ckeditor5/ckeditor5.umd.js" in html


# Session, user, section and topic filters, the count (no full-table count: show_full_result_count is off),
# articles with their sections, bylines with people and roles, two for the date hierarchy.
ARTICLE_CHANGELIST_QUERIES = 9


@pytest.mark.parametrize("n", [1, 12])
def test_article_changelist_queries_do_not_grow(admin_client, django_assert_num_queries, n):
    for article in ArticleFactory.create_batch(n, published=True):
        BylineFactory.create_batch(3, article=article)
    admin_client.get(admin_url(Article, "changelist"))  # warm the session and content-type caches

    with django_assert_num_queries(ARTICLE_CHANGELIST_QUERIES):
        response = admin_client.get(admin_url(Article, "changelist"))
    assert response.content.decode().count('class="action-select"') == n


def test_article_changelist_shows_bylines_and_live_status(admin_client):
    article = ArticleFactory(published=True, headline="现场会召开")
    BylineFactory(article=article, reporter=ReporterFactory(name="李晓萌"), role=BylineRoleFactory(name="首席记者"))
    ArticleFactory(scheduled=True, headline="定时稿")

    html = admin_client.get(admin_url(Article, "changelist")).content.decode()

    assert "首席记者 李晓萌" in html
    assert "现场会召开" in html and "定时稿" in html
    assert html.count('alt="是"') == 1  # only the published story is live now


# --- A reporter files a story, an editor publishes it ----------------------------------------------------


@pytest.fixture
def filing(reporter_user):
    """What the reporter's story needs: a section, people with roles, photos and organisations."""
    return {
        "section": SectionFactory(name="要闻"),
        "people": [
            (BylineRoleFactory(name="首席记者"), reporter_user.reporter),
            (BylineRoleFactory(name="见习记者"), ReporterFactory(name="王芳")),
            (BylineRoleFactory(name="通讯员"), ReporterFactory(name="周丹")),
        ],
        "photos": [  # uploaded by the reporter filing the story
            PhotoFactory(alt_text="会场", uploaded_by=reporter_user),
            PhotoFactory(alt_text="参观", uploaded_by=reporter_user),
        ],
        "organizations": [OrganizationFactory(name="长沙市妇联"), OrganizationFactory(name="桂阳县妇联")],
    }


def article_post_data(client, filing):
    """Fill the admin's add form as the reporter would: the story, 3 bylines, 2 photos, 2 entries."""
    data = form_data(client.get(admin_url(Article, "add")))
    prefixes = formset_prefixes(data)
    bylines = next(p for p in prefixes if "byline" in p)
    photos = next(p for p in prefixes if "photo" in p)
    entries = next(p for p in prefixes if "entr" in p)
    data.update(
        {
            "kicker": "深化妇联改革",
            "headline": "全省妇联系统改革工作现场推进会在郴州召开",
            "subtitle": "李华：以改革精神推动妇联工作",
            "body": "<p>会议指出，全省新建妇女组织一千二百余个。</p><script>alert(1)</script>",
            "section": str(filing["section"].pk),
            f"{bylines}-TOTAL_FORMS": "3",
            f"{photos}-TOTAL_FORMS": "2",
            f"{entries}-TOTAL_FORMS": "2",
        }
    )
    for index, (role, reporter) in enumerate(filing["people"]):
        data.update({f"{bylines}-{index}-order": str(index + 1), f"{bylines}-{index}-role": str(role.pk)})
        data[f"{bylines}-{index}-reporter"] = str(reporter.pk)
    for index, (photo, caption) in enumerate(zip(filing["photos"], ["推进会现场。", "参观阵地。"], strict=True)):
        data.update({f"{photos}-{index}-order": str(index + 1), f"{photos}-{index}-photo": str(photo.pk)})
        data[f"{photos}-{index}-caption"] = caption
    for index, (organization, form) in enumerate(zip(filing["organizations"], ["written", "oral"], strict=True)):
        data.update(
            {
                f"{entries}-{index}-order": str(index + 1),
                f"{entries}-{index}-form": form,
                f"{entries}-{index}-organization": str(organization.pk),
                f"{entries}-{index}-title": f"经验{index + 1}",
                f"{entries}-{index}-highlight": f"金句{index + 1}。",
                f"{entries}-{index}-body": f"<p>经验正文{index + 1}。</p>",
            }
        )
    data["_save"] = "保存"
    return data


def test_add_form_has_formsets_for_bylines_photos_and_entries(reporter_client):
    data = form_data(reporter_client.get(admin_url(Article, "add")))
    assert formset_prefixes(data) == {"bylines", "article_photos", "experience_entries"}
    assert data["bylines-TOTAL_FORMS"] == ["0"]


def workflow_url(article, action):
    return reverse("admin:articles_article_workflow", args=[article.pk, action])


def test_reporter_files_a_story_that_an_editor_publishes(client, reporter_user, editor_user, filing):
    client.force_login(reporter_user)
    response = client.post(admin_url(Article, "add"), article_post_data(client, filing))

    assert response.status_code == 302, errors_of(response)
    article = Article.objects.get()
    assert article.created_by == reporter_user
    assert article.status == Status.DRAFT
    assert client.post(workflow_url(article, "submit")).status_code == 302
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert "<script" not in article.body
    assert [str(b) for b in article.bylines.all()] == ["首席记者 李晓萌", "见习记者 王芳", "通讯员 周丹"]
    assert [p.caption for p in article.article_photos.all()] == ["推进会现场。", "参观阵地。"]
    assert article.experience_entries.count() == 2
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404

    client.force_login(editor_user)
    response = client.post(workflow_url(article, "publish"))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.is_published()
    assert article.created_by == reporter_user

    client.logout()
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "全省妇联系统改革工作现场推进会在郴州召开" in html
    byline = re.sub(r"<[^>]+>", "", re.search(r'<p class="byline">.*?</p>', html, re.S).group(0))
    assert byline.replace("&nbsp;", " ") == "今日女报 / 凤网 首席记者 李晓萌 见习记者 王芳 通讯员 周丹"
    assert html.index("推进会现场。") < html.index("参观阵地。")
    assert 'alt="会场"' in html and 'alt="参观"' in html
    assert html.index("桂阳县妇联") < html.index("长沙市妇联")  # the oral entry comes before the written one
    assert "金句1。" in html and "经验正文2。" in html
    assert "alert(1)" not in html


@pytest.mark.parametrize("published_at", ["", "past"])
def test_reporter_cannot_publish_through_the_add_form(reporter_client, filing, published_at):
    # Status and publishing time are not fields of the form any more: typed into a post, they are ignored.
    data = article_post_data(reporter_client, filing)
    data["status"] = Status.PUBLISHED
    if published_at:
        moment = timezone.localtime() - timedelta(hours=1)
        data.update({"published_at_0": moment.strftime("%Y-%m-%d"), "published_at_1": moment.strftime("%H:%M:%S")})

    response = reporter_client.post(admin_url(Article, "add"), data)

    assert response.status_code == 302, errors_of(response)
    assert Article.objects.get().status == Status.DRAFT
    assert not Article.objects.filter(status=Status.PUBLISHED).exists()


@pytest.mark.parametrize("role", ["reporter", "editor"])
def test_nobody_types_the_status_or_publishing_time(client, reporter_user, editor_user, role):
    article = ArticleFactory(created_by=reporter_user)
    client.force_login(reporter_user if role == "reporter" else editor_user)
    for url in (admin_url(Article, "add"), admin_url(article, "change", article.pk)):
        html = client.get(url).content.decode()
        assert 'name="status"' not in html
        assert 'name="published_at' not in html


def test_a_reporter_is_offered_submit_and_an_editor_publish(client, reporter_user, editor_user):
    article = ArticleFactory(created_by=reporter_user)
    client.force_login(reporter_user)
    html = client.get(admin_url(article, "change", article.pk)).content.decode()
    assert workflow_url(article, "submit") in html
    assert workflow_url(article, "publish") not in html

    services.submit_for_review(article, reporter_user)
    client.force_login(editor_user)
    html = client.get(admin_url(article, "change", article.pk)).content.decode()
    for action in ["approve", "return", "publish", "schedule"]:
        assert workflow_url(article, action) in html
    assert workflow_url(article, "submit") not in html


def test_reporter_cannot_publish_their_draft_through_the_change_form(reporter_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user, headline="我的草稿")
    change_url = admin_url(article, "change", article.pk)
    data = form_data(reporter_client.get(change_url))
    moment = timezone.localtime() - timedelta(hours=1)
    data.update(
        {
            "status": Status.PUBLISHED,
            "published_at_0": moment.strftime("%Y-%m-%d"),
            "published_at_1": moment.strftime("%H:%M:%S"),
            "_save": "保存",
        }
    )

    reporter_client.post(change_url, data)
    response = reporter_client.post(workflow_url(article, "publish"))

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert article.published_at is None


def test_a_refused_change_says_so_in_chinese_and_says_the_typing_was_not_saved(reporter_client, reporter_user):
    """A story submitted in another tab (or by a co-bylined reporter) is read-only to its reporter: the save of the
    first tab is refused with a page they can read, not Django's bare English "403 Forbidden"."""
    article = ArticleFactory(created_by=reporter_user, in_review=True)
    draft = ArticleFactory(created_by=reporter_user)
    data = form_data(reporter_client.get(admin_url(draft, "change", draft.pk)))
    data.update({"headline": "另一个标签页里的修改", "_save": "保存"})

    response = reporter_client.post(admin_url(article, "change", article.pk), data)

    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "没有保存" in html and "另一个标签页里的修改" in html  # and what was typed, to copy
    assert 'href="/admin/"' in html


def test_a_form_sent_with_an_old_security_token_is_refused_in_chinese(reporter_user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(reporter_user)

    response = csrf_client.post("/admin/articles/article/add/", {"headline": "标题"})

    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "表单已过期" in html


@pytest.mark.parametrize(
    "model, values",
    [
        (Section, {"name": "基层动态", "order": "3"}),
        (Topic, {"title": "2026年三八国际妇女节"}),
        (Organization, {"name": "桐溪市妇联", "level": "city"}),
    ],
)
def test_a_chinese_name_with_the_address_left_empty_gets_one_made(admin_client, model, values):
    """The admin fills the address (slug) from the name as it is typed: a Chinese name gives it nothing. Left
    empty, an address is made instead of the bare "这个字段是必填项"; the field says so."""
    add = admin_url(model, "add")
    assert "留空则自动生成" in admin_client.get(add).content.decode()

    response = admin_client.post(add, {**values, "slug": ""})

    assert response.status_code == 302, errors_of(response)
    made = model.objects.get()
    assert re.fullmatch(r"[a-z]+-[0-9a-f]{8}", made.slug)
    assert made.get_absolute_url().endswith(f"/{made.slug}/")


def test_a_duplicate_byline_is_named_by_what_it_repeats(editor_client):
    """The same reporter twice in the same role: the message says so in plain Chinese; it said "请修改稿件，记者 和
    身份的重复数据.这个字段必须唯一" (the story itself named, a half-width stop, "this field" for three)."""
    article = ArticleFactory()
    byline = BylineFactory(article=article, order=1)
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"bylines-TOTAL_FORMS": "2", "bylines-1-order": "2", "_save": "保存"})
    data.update({"bylines-1-role": str(byline.role_id), "bylines-1-reporter": str(byline.reporter_id)})

    response = editor_client.post(url, data)

    assert response.status_code == 200  # the form again, with what was typed
    html = response.content.decode()
    assert "同一人以同一身份署名了两次：请删去其中一条署名。" in html
    assert "这一行与另一行重复。" in html  # on the repeated row
    for unclear in ("重复数据", "这个字段必须唯一", "稿件，记者", "请修正重复的数据."):
        assert unclear not in html


@pytest.mark.parametrize(("days_ahead", "refused"), [(40, True), (0, False)])
def test_a_correction_dated_in_the_future_is_refused_with_what_was_typed(editor_client, days_ahead, refused):
    """A correction mistyped as 2027 dated the story's last change in the future: its feeds, sitemap lastmod and
    dateModified claimed a change not yet made, until the correction was deleted."""
    article = ArticleFactory(published=True, published_at=timezone.now() - timedelta(days=1))
    before = Article.objects.get(pk=article.pk).updated_at
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    noted_at = timezone.localtime() + timedelta(days=days_ahead)
    data.update({"corrections-TOTAL_FORMS": "1", "_save": "保存"})
    data.update({
        "corrections-0-noted_at_0": noted_at.strftime("%Y-%m-%d"),
        "corrections-0-noted_at_1": noted_at.strftime("%H:%M:%S"),
        "corrections-0-kind": "correction",
        "corrections-0-text": "原稿中活动日期有误，已更正。",
    })  # fmt: skip

    response = editor_client.post(url, data)

    if not refused:
        assert response.status_code == 302, errors_of(response)
        assert article.corrections.count() == 1
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "更正时间不能晚于现在：请填写更正发出的时间。" in html
    assert "原稿中活动日期有误，已更正。" in html  # kept in its box
    assert not article.corrections.exists()
    assert Article.objects.get(pk=article.pk).updated_at == before


@pytest.mark.parametrize("alt", ["", "会场全景"])
def test_a_live_story_is_not_saved_with_an_image_in_its_text_lacking_alt_text(editor_client, alt):
    """A photo put into the body of a published story without alt text went out at once as alt="": the check
    ran only at the next publish."""
    article = ArticleFactory(published=True, body="<p>会议指出。</p>")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    image = f'<figure class="image"><img src="/media/photos/2026/11/hall.jpg" alt="{alt}"></figure>'
    data.update({"body": f"<p>会议指出。</p>{image}<p>新加一段。</p>", "_save": "保存"})

    response = editor_client.post(url, data)

    if alt:
        assert response.status_code == 302, errors_of(response)
        assert "hall.jpg" in Article.objects.get(pk=article.pk).body
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "稿件已在线：正文第1张图片缺少替代文字" in html
    assert "新加一段。" in html  # what was typed is kept
    assert Article.objects.get(pk=article.pk).body == "<p>会议指出。</p>"


def test_a_live_storys_entry_is_not_saved_with_an_image_lacking_alt_text(editor_client):
    article = ArticleFactory(published=True)
    ExperienceEntryFactory(article=article, body="<p>交流发言。</p>")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    image = '<figure class="image"><img src="/media/photos/2026/11/hall.jpg" alt=""></figure>'
    data.update({"experience_entries-0-body": f"<p>交流发言。</p>{image}", "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert "稿件已在线：" in response.content.decode()
    assert "hall.jpg" not in article.experience_entries.get().body


@pytest.mark.parametrize("where", ["summary", "body", "entry title", "entry body", "photo caption"])
def test_a_live_story_is_not_saved_with_a_sensitive_word_typed_into_it(editor_client, where):
    """A publish stops at a sensitive word (only the chief editor publishes one, with a reason); a save of a live
    story put one on the site at once, unchecked."""
    WatchWordFactory(word="示例敏感词", kind="sensitive")
    article = ArticleFactory(published=True, summary="导语。", body="<p>会议指出。</p>")
    ExperienceEntryFactory(article=article, title="经验", body="<p>交流发言。</p>")
    ArticlePhotoFactory(article=article, caption="会场。")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    field, value = {
        "photo caption": ("article_photos-0-caption", "会场，示例敏感词。"),
        "summary": ("summary", "导语里有示例敏感词。"),
        "body": ("body", "<p>会议指出。</p><p>示例敏感词出现在这里。</p>"),
        "entry title": ("experience_entries-0-title", "经验示例敏感词"),
        "entry body": ("experience_entries-0-body", "<p>交流发言，示例敏感词。</p>"),
    }[where]
    data.update({field: value, "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "稿件已在线：" in html and "敏感词“示例敏感词”" in html and "请总编撤下稿件" in html
    assert Article.objects.get(pk=article.pk).summary == "导语。"
    assert "示例敏感词" not in article.experience_entries.get().title + article.experience_entries.get().body
    assert "示例敏感词" not in article.article_photos.get().caption


def test_only_the_chief_editor_takes_down_or_rewrites_a_correction_of_a_story_that_has_been_out(
    editor_client, chief_editor_user, client
):
    """Any editor deleted one, silently: the history keeps no corrections, so nothing showed it or brought it back."""
    from articles.models import Correction
    from tests.factories import CorrectionFactory

    article = ArticleFactory(published=True)
    CorrectionFactory(article=article, text="原稿中日期有误，已更正。")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"corrections-0-DELETE": "on", "headline": "顺手改的标题", "_save": "保存"})

    assert "corrections-0-DELETE" not in editor_client.get(url).content.decode()
    editor_client.post(url, data)
    assert Correction.objects.filter(article=article).count() == 1

    data = form_data(editor_client.get(url))
    data.update({"corrections-0-text": "。", "_save": "保存"})
    refused = editor_client.post(url, data)
    assert refused.status_code == 200 and "只有总编可以修改已有的更正" in refused.content.decode()
    assert Correction.objects.get(article=article).text == "原稿中日期有误，已更正。"

    client.force_login(chief_editor_user)
    data = form_data(client.get(url))
    data.update({"corrections-0-DELETE": "on", "_save": "保存"})
    assert client.post(url, data).status_code == 302
    assert not Correction.objects.filter(article=article).exists()


def test_a_correction_the_chief_changes_or_takes_down_stays_in_the_workflow_history(client, chief_editor_user):
    """Once the story has been out, a correction is the public record: what one said before a change, and one taken
    down, were lost without a trace (the versions keep no corrections)."""
    from datetime import datetime

    from articles.models import Correction, Transition
    from tests.factories import CorrectionFactory

    article = ArticleFactory(published=True)
    noted = timezone.make_aware(datetime(2026, 11, 20, 9, 30))
    CorrectionFactory(article=article, text="原稿中日期有误，已更正。", noted_at=noted)
    CorrectionFactory(article=article, text="补充了与会人数。", kind=Correction.Kind.UPDATE, noted_at=noted)
    url = admin_url(article, "change", article.pk)
    client.force_login(chief_editor_user)
    data = form_data(client.get(url))
    data.update({"corrections-0-text": "原稿中会议日期有误，已更正。", "corrections-1-DELETE": "on", "_save": "保存"})

    assert client.post(url, data).status_code == 302

    steps = Transition.objects.filter(article=article).order_by("id")
    assert [(step.get_action_display(), step.user, step.comment) for step in steps] == [
        ("更正被修改", chief_editor_user, "原为（更正，2026-11-20 09:30）：原稿中日期有误，已更正。"),
        ("更正被撤下", chief_editor_user, "原为（更新，2026-11-20 09:30）：补充了与会人数。"),
    ]
    history = client.get(url).content.decode()
    assert "更正被撤下" in history and "原为（更新，2026-11-20 09:30）：补充了与会人数。" in history


def test_a_draft_s_corrections_change_without_a_record(editor_client):
    """Before the story has been out no reader saw them: nothing to keep."""
    from articles.models import Transition
    from tests.factories import CorrectionFactory

    article = ArticleFactory()
    CorrectionFactory(article=article, text="草稿里的更正。")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"corrections-0-text": "改过的更正。", "_save": "保存"})

    assert editor_client.post(url, data).status_code == 302
    assert article.corrections.get().text == "改过的更正。"
    assert not Transition.objects.filter(article=article).exists()


def test_a_live_storys_sensitive_word_already_there_does_not_hold_up_a_correction(editor_client):
    """What the chief editor published with a reason stays; a save changing something else goes through, and so does
    a change to the text that keeps the word without adding another."""
    WatchWordFactory(word="示例敏感词", kind="sensitive")
    article = ArticleFactory(published=True, body="<p>会议提到示例敏感词。</p>")
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"headline": "改正后的标题", "body": "<p>会议提到示例敏感词。</p><p>补一段。</p>", "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert Article.objects.get(pk=article.pk).headline == "改正后的标题"


def test_a_correction_to_a_live_story_is_not_held_up_by_an_image_it_already_had(editor_client):
    """Only a changed text is checked: an older story's image without alt text does not stop its correction."""
    body = '<p>会议指出。</p><figure class="image"><img src="/media/photos/2026/11/hall.jpg"></figure>'
    article = ArticleFactory(published=True)
    Article.objects.filter(pk=article.pk).update(body=body)
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"headline": "改正后的标题", "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert Article.objects.get(pk=article.pk).headline == "改正后的标题"


@pytest.mark.parametrize("change", ["nothing", "a byline", "the headline"])
def test_a_save_that_changes_nothing_does_not_date_the_story_as_updated(editor_client, change):
    """Pressing 保存 on an untouched story moved its dateModified, its Atom <updated> and its sitemap lastmod:
    feed readers and Google News were told of an update that never happened."""
    long_ago = timezone.now() - timedelta(days=3)
    article = ArticleFactory(published=True, published_at=long_ago)
    BylineFactory(article=article, order=1)
    Article.objects.filter(pk=article.pk).update(updated_at=long_ago)
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data["_save"] = "保存"
    if change == "a byline":
        data["bylines-0-order"] = "2"
    if change == "the headline":
        data["headline"] = "改过的标题"

    assert editor_client.post(url, data).status_code == 302

    stored = Article.objects.get(pk=article.pk)
    assert (stored.updated_at == long_ago) == (change == "nothing")
    assert (stored.edit_count == article.edit_count) == (change == "nothing")


@pytest.mark.parametrize("title", ["首席记者", "", "驻站记者"])
def test_a_byline_without_a_role_takes_the_persons_default_title(editor_client, title):
    """唐昕's 默认职务 is 首席记者, yet adding her to a byline without choosing 身份 was refused (署名第2条：身份 必填)."""
    article = ArticleFactory()
    BylineFactory(article=article, order=1)
    chief = BylineRoleFactory(name="首席记者")
    reporter = ReporterFactory(name="唐昕", title=title)
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"bylines-TOTAL_FORMS": "2", "bylines-1-order": "2", "bylines-1-role": "", "_save": "保存"})
    data["bylines-1-reporter"] = str(reporter.pk)

    response = editor_client.post(url, data)

    if title == "首席记者":
        assert response.status_code == 302, errors_of(response)
        assert article.bylines.get(reporter=reporter).role == chief
        return
    # No title, or one the vocabulary does not have: the role is asked for, the row kept as typed.
    assert response.status_code == 200
    assert "这个字段是必填项。" in response.content.decode()
    assert not article.bylines.filter(reporter=reporter).exists()


@pytest.mark.parametrize("case", ["itself", "a companion", "a lead already"])
def test_a_package_has_one_lead_and_its_companions(editor_client, case):
    """A story cannot lead its own package, join a companion's, or join another package while it leads one: the
    form says so and keeps what was typed."""
    report = ArticleFactory(headline="会议报道")
    companion = ArticleFactory(headline="经验交流", package_lead=report)
    story = ArticleFactory(headline="会场花絮")
    chosen = {"itself": story, "a companion": companion, "a lead already": report}[case]
    if case == "a lead already":
        ArticleFactory(package_lead=story)
    url = admin_url(story, "change", story.pk)
    data = form_data(editor_client.get(url))
    data.update({"package_lead": str(chosen.pk), "headline": "会场花絮（改）", "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.status_code == 200
    expected = {
        "itself": "稿件不能做自己这组报道的主稿。",
        "a companion": "《经验交流》是另一组报道的配稿：请选那组报道的主稿。",
        "a lead already": "本稿件已是一组报道的主稿，不能再做别组报道的配稿。",
    }[case]
    html = response.content.decode()
    assert expected in html
    assert 'value="会场花絮（改）"' in html
    story.refresh_from_db()
    assert (story.package_lead_id, story.headline) == (None, "会场花絮")


@pytest.mark.parametrize("hidden", ["an editor's draft", "an embargoed story"])
def test_a_reporter_cannot_read_or_join_a_story_she_may_not_open_through_the_package_box(
    reporter_client, reporter_user, hidden
):
    """The add form sent back with package_lead=<id> printed that story's headline as the chosen option, for any
    id: editors' drafts and embargoed stories included; and a save joined the reporter's story to it."""
    other = {
        "an editor's draft": lambda: ArticleFactory(headline="禁发：编辑部独家标题"),
        "an embargoed story": lambda: ArticleFactory(scheduled=True, headline="禁发：定时稿标题"),
    }[hidden]()
    own = ArticleFactory(headline="我的稿件", created_by=reporter_user)
    url = admin_url(own, "change", own.pk)
    data = form_data(reporter_client.get(url))
    data.update({"package_lead": str(other.pk), "_save": "保存"})

    response = reporter_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert other.headline not in html
    assert "选择一个有效的选项" in html
    assert Article.objects.get(pk=own.pk).package_lead_id is None


def test_a_reporter_keeps_the_package_an_editor_put_her_story_in(client, reporter_user, editor_user):
    lead = ArticleFactory(published=True, headline="会议报道")
    own = ArticleFactory(headline="经验交流", created_by=reporter_user, package_lead=lead)
    client.force_login(reporter_user)

    saved_in_admin(client, own, headline="经验交流（改）")

    own.refresh_from_db()
    assert (own.headline, own.package_lead) == ("经验交流（改）", lead)


def test_a_companion_can_join_a_lead_story(editor_client):
    report, story = ArticleFactory(headline="会议报道"), ArticleFactory(headline="经验交流")
    url = admin_url(story, "change", story.pk)
    data = form_data(editor_client.get(url))
    data.update({"package_lead": str(report.pk), "_save": "保存"})

    assert editor_client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.package_lead == report


def test_a_scheduled_story_is_called_scheduled_in_the_list_and_on_its_page(editor_client):
    story = ArticleFactory(scheduled=True, headline="定时发布的稿件")

    listing = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    page = editor_client.get(admin_url(story, "change", story.pk)).content.decode()

    assert re.search(r'<td class="field-status_label">定时发布</td>', listing)
    assert '<strong class="workflow-status">定时发布</strong>' in page


def test_the_live_now_column_names_its_icons_in_chinese(editor_client):
    """Django's boolean icons say "True" and "False" to a screen reader."""
    ArticleFactory(published=True)
    ArticleFactory()

    html = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()

    assert 'alt="是"' in html and 'alt="否"' in html
    assert 'alt="True"' not in html and 'alt="False"' not in html


def test_the_publishing_time_says_where_it_is_set(editor_client):
    """The field is read-only: its help pointed at typing a future time into it."""
    article = ArticleFactory()

    html = editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()

    assert "由“采编流程”中的“立即发布”或“定时发布”设定" in html and "填写将来的时间" not in html
    assert "状态：<strong" in html  # a full-width colon in Chinese, not "状态: "


def test_the_admin_search_box_is_named_in_chinese(editor_client):
    """The magnifier's alt text is the search field's accessible name; Django's template says "Search"."""
    ArticleFactory(headline="桐溪新闻")

    html = editor_client.get(reverse("admin:articles_article_changelist") + "?q=桐溪").content.decode()

    assert '<label for="searchbar"><img' in html and 'alt="搜索"' in html and 'alt="Search"' not in html
    assert 'value="桐溪" id="searchbar"' in html and "1 条结果" in html


@pytest.mark.parametrize(
    ("model", "make"),
    [
        ("reporter", lambda: ReporterFactory()),
        ("topic", lambda: TopicFactory(is_featured=True)),
        ("watchword", lambda: WatchWordFactory()),
    ],
)
def test_every_yes_no_column_names_its_icon_in_chinese(admin_client, model, make):
    make()
    html = admin_client.get(reverse(f"admin:articles_{model}_changelist")).content.decode()
    assert 'alt="是"' in html
    assert 'alt="True"' not in html and 'alt="False"' not in html


def test_the_admins_own_words_read_as_plain_chinese(editor_client):
    """Django's catalog: "Error: 增加 稿件", "选择 稿件 来修改", "以 状态"."""
    changelist = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    rejected = editor_client.post(reverse("admin:articles_article_add"), {"headline": ""}).content.decode()

    assert "<title>选择要修改的稿件 |" in changelist and "选择 稿件 来修改" not in changelist
    assert "按状态" in changelist and "以 状态" not in changelist
    assert "<title>错误： 添加稿件 |" in rejected and "Error:" not in rejected


def test_organisations_are_单位_in_the_admin_as_on_the_public_filters(admin_client):
    OrganizationFactory(name="桐溪市妇联")
    html = admin_client.get(reverse("admin:articles_organization_changelist")).content.decode()
    assert "<title>选择要修改的单位 |" in html and "组织" not in html


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("its own child as parent", "上级单位不能是本单位或本单位的下级单位：那样会形成循环。"),
        ("its grandchild as parent", "上级单位不能是本单位或本单位的下级单位：那样会形成循环。"),
        (
            "a township as parent",
            "上级单位青山乡妇联的级别（乡镇（街道）级）低于本单位（县市区级）：请检查级别或上级单位。",
        ),
        ("raised above its parent", "上级单位白沙区妇联的级别（县市区级）低于本单位（省级）：请检查级别或上级单位。"),
        (
            "lowered below its child",
            "本单位的下级单位青山乡妇联级别（乡镇（街道）级）高于村（社区）级：请先修改它的级别或上级单位。",
        ),
    ],
)
def test_the_organisation_tree_takes_no_loop_and_no_parent_below_its_child(admin_client, case, message):
    """A county 妇联 given its own township as parent saved, and both public pages named each other as parent."""
    county = OrganizationFactory(name="白沙区妇联", level="county")
    township = OrganizationFactory(name="青山乡妇联", level="township", parent=county)
    village = OrganizationFactory(name="青山村妇联", level="village", parent=township)
    edited, values = {
        "its own child as parent": (county, {"parent": township.pk}),
        "its grandchild as parent": (county, {"parent": village.pk, "level": "county"}),
        "a township as parent": (OrganizationFactory(name="桐溪县妇联", level="county"), {"parent": township.pk}),
        "raised above its parent": (township, {"level": "province"}),
        "lowered below its child": (county, {"level": "village"}),
    }[case]
    url = admin_url(edited, "change", edited.pk)
    data = {name: value[0] for name, value in form_data(admin_client.get(url), "organization_form").items()}
    data.update(values)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    before = {o.pk: (o.parent_id, o.level) for o in Organization.objects.all()}
    assert before[county.pk] == (None, "county") and before[township.pk] == (county.pk, "township")


def test_an_organisation_may_sit_under_one_of_its_own_level(admin_client):
    """A city's 市直机关妇工委 under the city's 妇联: the same level is not a lower one."""
    city = OrganizationFactory(name="桐溪市妇联", level="city")
    office = OrganizationFactory(name="桐溪市直机关妇工委", level="city")
    url = admin_url(office, "change", office.pk)
    data = {name: value[0] for name, value in form_data(admin_client.get(url), "organization_form").items()}
    data["parent"] = city.pk

    assert admin_client.post(url, data).status_code == 302
    assert Organization.objects.get(pk=office.pk).parent == city


def test_the_admin_lists_the_stories_first_in_a_working_order(admin_client):
    """Django sorts by the names' code points: 专题, 回收站, 图片 … with 稿件 sixth."""
    html = admin_client.get(reverse("admin:index")).content.decode()
    names = ["稿件", "图片", "首页版位", "预览链接", "回收站", "记者", "单位", "专题", "栏目", "署名身份", "审校词库"]
    positions = [html.index(f">{name}</a>") for name in names]
    assert positions == sorted(positions)
    assert html.index(">稿件</a>") < html.index(">用户</a>")
    assert ">登录尝试</a>" in html and "Access attempts" not in html  # django-axes has no Chinese catalog


def test_a_login_is_active_not_employed(admin_client):
    """The reporters' 在职 ("employed") had become every "active" of the admin, a login's included."""
    html = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "在职" not in html
    reporters = admin_client.get(reverse("admin:articles_reporter_changelist")).content.decode()
    assert "在职" in reporters


def test_a_watch_word_is_on_or_off_not_employed(admin_client):
    WatchWordFactory()
    html = admin_client.get(reverse("admin:articles_watchword_changelist")).content.decode()
    assert "启用" in html and "在职" not in html


def test_a_page_opened_by_another_login_cannot_save_or_take_a_step(client, editor_user, other_editor_user):
    """After a new login in another tab, a page's forms send that login's security token (so an editor whose login
    ended keeps their typing); a page opened by someone else on the same browser must not act as the new login."""
    article = ArticleFactory(headline="原标题")
    url = admin_url(article, "change", article.pk)
    client.force_login(editor_user)
    data = form_data(client.get(url))  # the page, opened by editor_user
    data.update({"headline": "别人的页面改的标题", "_save": "保存"})
    client.force_login(other_editor_user)  # another login on this browser

    assert client.post(url, data).status_code == 403
    assert client.post(workflow_url(article, "submit"), {"newsroom_page_user": str(editor_user.pk)}).status_code == 403

    article.refresh_from_db()
    assert (article.headline, article.status) == ("原标题", Status.DRAFT)


def test_a_read_only_story_shows_its_text_as_readers_see_it_not_its_html(reporter_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user, published=True, body="<p>会议<strong>指出</strong>。</p>")
    ExperienceEntryFactory(article=article, body="<p>建强<em>基层</em>组织。</p>")

    html = reporter_client.get(admin_url(article, "change", article.pk)).content.decode()

    assert '<div class="readonly-rich-text"><p>会议<strong>指出</strong>。</p></div>' in html
    assert '<div class="readonly-rich-text"><p>建强<em>基层</em>组织。</p></div>' in html
    assert "&lt;p&gt;" not in html


def test_reporter_cannot_change_their_story_once_it_is_published(reporter_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user, published=True, headline="原标题")
    change_url = admin_url(article, "change", article.pk)
    page = reporter_client.get(change_url)
    assert page.status_code == 200  # they may still read it
    assert 'name="headline"' not in page.content.decode()  # but as a read-only page

    draft = ArticleFactory(created_by=reporter_user)  # a form to copy the fields from
    data = form_data(reporter_client.get(admin_url(draft, "change", draft.pk)))
    data.update({"headline": "未经编辑改动的标题", "_save": "保存"})
    response = reporter_client.post(change_url, data)

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "原标题"
    assert article.status == Status.PUBLISHED


def test_bylined_reporter_cannot_change_an_editors_published_story(reporter_client, reporter_user, editor_user):
    article = ArticleFactory(created_by=editor_user, published=True, headline="编辑发的稿")
    BylineFactory(article=article, reporter=reporter_user.reporter)
    draft = ArticleFactory(created_by=reporter_user)
    data = form_data(reporter_client.get(admin_url(draft, "change", draft.pk)))
    data.update({"headline": "记者改的标题", "_save": "保存"})

    response = reporter_client.post(admin_url(article, "change", article.pk), data)

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "编辑发的稿"


def test_editor_may_revise_a_published_story(editor_client):
    article = ArticleFactory(published=True, headline="原标题")
    change_url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(change_url))
    data.update({"headline": "更正后的标题", "_save": "保存"})

    response = editor_client.post(change_url, data)

    assert response.status_code == 302, errors_of(response)
    article.refresh_from_db()
    assert article.headline == "更正后的标题" and article.is_published()


def test_reporter_cannot_delete_a_published_story(reporter_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user, published=True)
    response = reporter_client.post(admin_url(article, "delete", article.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


def test_reporter_may_delete_their_own_draft(reporter_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user)
    response = reporter_client.post(admin_url(article, "delete", article.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    assert Article.all_objects.get(pk=article.pk).deleted_by == reporter_user  # in the trash, not gone


# --- Reporters see their own stories only -----------------------------------------------------------------


@pytest.fixture
def others_story(other_reporter_user):
    article = ArticleFactory(headline="别人的独家稿件", created_by=other_reporter_user, in_review=True)
    BylineFactory(article=article, reporter=other_reporter_user.reporter)
    return article


def test_reporter_cannot_open_another_reporters_story(reporter_client, others_story):
    response = reporter_client.get(admin_url(others_story, "change", others_story.pk))
    assert response.status_code in {302, 403, 404}
    if response.status_code == 302:
        assert response["Location"] != admin_url(others_story, "change", others_story.pk)
    assert "别人的独家稿件" not in response.content.decode()


def test_reporter_cannot_change_another_reporters_story_by_posting(reporter_client, reporter_user, others_story):
    # A complete, valid form (copied from the reporter's own draft), sent to someone else's story.
    mine = ArticleFactory(created_by=reporter_user, section=others_story.section)
    data = form_data(reporter_client.get(admin_url(mine, "change", mine.pk)))
    data.update({"headline": "篡改", "_save": "保存"})

    response = reporter_client.post(admin_url(others_story, "change", others_story.pk), data)

    assert response.status_code in {302, 403, 404}
    others_story.refresh_from_db()
    assert others_story.headline == "别人的独家稿件"


def test_the_same_post_changes_the_story_for_an_editor(editor_client, others_story):
    # The counterpart of the test above: the post is valid, only the reporter's role stops it.
    data = form_data(editor_client.get(admin_url(others_story, "change", others_story.pk)))
    data.update({"headline": "编辑改过的标题", "_save": "保存"})

    response = editor_client.post(admin_url(others_story, "change", others_story.pk), data)

    assert response.status_code == 302, errors_of(response)
    others_story.refresh_from_db()
    assert others_story.headline == "编辑改过的标题"


def test_reporter_does_not_see_another_reporters_story_in_the_list(reporter_client, reporter_user, others_story):
    mine = ArticleFactory(headline="我自己的稿件", created_by=reporter_user)
    html = reporter_client.get(admin_url(Article, "changelist")).content.decode()
    assert mine.headline in html
    assert "别人的独家稿件" not in html


def test_reporter_sees_a_story_they_are_bylined_on(reporter_client, reporter_user, others_story):
    BylineFactory(article=others_story, reporter=reporter_user.reporter, role=BylineRoleFactory(name="摄影"))
    assert "别人的独家稿件" in reporter_client.get(admin_url(Article, "changelist")).content.decode()
    assert reporter_client.get(admin_url(others_story, "change", others_story.pk)).status_code == 200


def test_editor_sees_and_opens_every_story(editor_client, others_story):
    assert "别人的独家稿件" in editor_client.get(admin_url(Article, "changelist")).content.decode()
    response = editor_client.get(admin_url(others_story, "change", others_story.pk))
    assert response.status_code == 200
    assert "别人的独家稿件" in response.content.decode()


# --- Editors publish and schedule -----------------------------------------------------------------------


def post_schedule(client, article, moment=""):
    return client.post(workflow_url(article, "schedule"), {"published_at": moment})


def test_editor_cannot_schedule_without_a_publishing_time(editor_client, editor_user):
    article = ArticleFactory(in_review=True)
    BylineFactory(article=article)
    response = post_schedule(editor_client, article)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    messages = [str(m) for m in editor_client.get(admin_url(article, "change", article.pk)).context["messages"]]
    assert messages


def test_publishing_time_entered_in_the_admin_is_beijing_time(editor_client):
    article = ArticleFactory(in_review=True)
    BylineFactory(article=article)
    response = post_schedule(editor_client, article, "2036-11-20T08:00")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.published_at.isoformat() == "2036-11-20T00:00:00+00:00"
    assert article.status == Status.PUBLISHED


def test_editor_schedules_a_story_that_stays_hidden_until_its_time(client, editor_user):
    article = ArticleFactory(in_review=True, headline="定时发布的稿件")
    BylineFactory(article=article)
    client.force_login(editor_user)
    later = timezone.localtime() + timedelta(days=1)
    response = post_schedule(client, article, later.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    assert list(Article.objects.scheduled()) == [article]
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "定时发布的稿件" not in client.get("/").content.decode()


def test_rich_text_fields_get_the_editor_in_any_model_form():
    from django import forms

    from articles.models import ExperienceEntry

    class EntryForm(forms.ModelForm):
        class Meta:
            model = ExperienceEntry
            fields = ["title", "body"]

    html = str(EntryForm()["body"])
    assert 'data-ckeditor="true"' in html
    assert 'data-upload-url="/editor/images/"' in html
    assert html.startswith('<div class="newsroom-rich-text"><textarea')


# --- Photos and organisations: reporters touch their own only -------------------------------------------


def test_reporter_cannot_replace_a_photo_of_another_reporters_published_story(reporter_client, other_reporter_user):
    photo = PhotoFactory(alt_text="原图说明", uploaded_by=other_reporter_user)
    ArticleFactory(published=True, created_by=other_reporter_user, lead_photo=photo)
    old_name = photo.image.name

    page = reporter_client.get(admin_url(photo, "change", photo.pk))
    reporter_client.post(admin_url(photo, "change", photo.pk), {"alt_text": "篡改的说明"})

    # A published photo is in the library every reporter may reuse: they may look at it, not change it.
    assert page.status_code in {302, 403, 404} or 'name="alt_text"' not in page.content.decode()
    photo.refresh_from_db()
    assert photo.alt_text == "原图说明" and photo.image.name == old_name


def test_reporter_cannot_change_their_own_photo_once_a_published_story_uses_it(reporter_client, reporter_user):
    photo = PhotoFactory(alt_text="已见报", uploaded_by=reporter_user)
    ArticleFactory(published=True, created_by=reporter_user, lead_photo=photo)

    reporter_client.post(admin_url(photo, "change", photo.pk), {"alt_text": "改掉"})

    photo.refresh_from_db()
    assert photo.alt_text == "已见报"


def test_a_reporters_photo_page_reads_the_stories_texts_once(reporter_client, reporter_user):
    """Whether a reporter may change her photo depends on every story beyond its draft that shows it, in its text
    too: a scan of every such text, which the page ran six times (Django asks for both permissions again and again);
    at 100,000 stories, seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    photo = PhotoFactory(uploaded_by=reporter_user)
    ArticleFactory.create_batch(3, published=True, body="<p>正文</p>")

    with CaptureQueriesContext(connection) as queries:
        assert reporter_client.get(admin_url(photo, "change", photo.pk)).status_code == 200

    scans = [q["sql"] for q in queries if re.search(r'"body"(::text)? LIKE', q["sql"])]  # SQLite; PostgreSQL
    assert len(scans) == 1, scans


def test_reporter_may_fix_the_alt_text_of_their_unused_upload(reporter_client, reporter_user):
    photo = PhotoFactory(alt_text="错字", uploaded_by=reporter_user)
    response = reporter_client.post(admin_url(photo, "change", photo.pk), {"alt_text": "改正后的说明"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.alt_text == "改正后的说明"


def test_photo_autocomplete_offers_a_reporter_only_photos_they_may_use(reporter_client, reporter_user, others_story):
    PhotoFactory(alt_text="我上传的照片", uploaded_by=reporter_user)
    others_story.lead_photo = PhotoFactory(alt_text="别人未发稿的照片")
    others_story.save()
    url = reverse("admin:autocomplete") + "?app_label=articles&model_name=article&field_name=lead_photo&term="

    results = [r["text"] for r in reporter_client.get(url).json()["results"]]

    assert "我上传的照片" in results
    assert "别人未发稿的照片" not in results


def test_the_byline_box_offers_only_reporters_at_work(editor_client):
    """潘丽 has left (在职 off): she was offered, unmarked, for a new byline."""
    ReporterFactory(name="潘丽", is_active=False)
    ReporterFactory(name="潘小雨")
    url = reverse("admin:autocomplete") + "?app_label=articles&model_name=byline&field_name=reporter&term=潘"

    results = [r["text"] for r in editor_client.get(url).json()["results"]]

    assert [name for name in results if name.startswith("潘")] == ["潘小雨"]
    listed = editor_client.get(admin_url(ReporterFactory._meta.model, "changelist") + "?q=潘").content.decode()
    assert "潘丽" in listed  # the reporters' list shows everyone
    credit = reverse("admin:autocomplete") + "?app_label=articles&model_name=photo&field_name=credit_reporter&term=潘"
    assert "潘丽" in [r["text"] for r in editor_client.get(credit).json()["results"]]  # an old photo's photographer


def test_reporter_cannot_create_organisations(reporter_client):
    response = reporter_client.post(
        admin_url(OrganizationFactory._meta.model, "add"),
        {"name": "未经审核的任意文字", "level": "city", "slug": "anything"},
    )
    assert response.status_code == 403
    assert not OrganizationFactory._meta.model.objects.filter(slug="anything").exists()


def test_portrait_upload_goes_through_the_image_checks(editor_client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import image_bytes

    settings.NEWSROOM_MAX_IMAGE_PIXELS = 100
    reporter = ReporterFactory(name="王记者")
    data = form_data(editor_client.get(admin_url(reporter, "change", reporter.pk)), form_id="reporter_form")
    data["portrait"] = SimpleUploadedFile("头像.png", image_bytes("PNG", size=(20, 20)), content_type="image/png")

    response = editor_client.post(admin_url(reporter, "change", reporter.pk), data)

    assert response.status_code == 200  # the form comes back with an error
    assert "像素" in response.content.decode()
    reporter.refresh_from_db()
    assert not reporter.portrait


@pytest.mark.parametrize("how", ["replaced", "cleared", "reporter deleted"])
def test_a_portrait_taken_down_leaves_no_copy_at_its_address(
    editor_client, admin_client, media_root, django_capture_on_commit_callbacks, how
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import image_bytes

    reporter = ReporterFactory(name="王记者")
    change_url = admin_url(reporter, "change", reporter.pk)
    data = form_data(editor_client.get(change_url), form_id="reporter_form")
    data["portrait"] = SimpleUploadedFile("头像.jpg", image_bytes(size=(40, 40)), content_type="image/jpeg")
    assert editor_client.post(change_url, data).status_code == 302
    reporter.refresh_from_db()
    first = media_root / reporter.portrait.name
    assert first.exists()

    with django_capture_on_commit_callbacks(execute=True):
        if how == "reporter deleted":
            response = admin_client.post(admin_url(reporter, "delete", reporter.pk), {"post": "yes"})
        else:
            data = form_data(editor_client.get(change_url), form_id="reporter_form")
            if how == "replaced":
                data["portrait"] = SimpleUploadedFile(
                    "新头像.jpg", image_bytes(size=(40, 40)), content_type="image/jpeg"
                )
            else:
                data["portrait-clear"] = "on"
            response = editor_client.post(change_url, data)

    assert response.status_code == 302
    assert not first.exists()
    assert not [path for path in media_root.rglob("*") if path.is_dir() and not any(path.iterdir())]  # its folders


def test_a_portrait_is_stored_no_larger_than_a_page_shows_it(editor_client, media_root):
    """A camera's original (here 3000 × 2000) was sent whole to every reader of the reporter's page, where it
    shows 96 pixels wide."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.factories import image_bytes

    reporter = ReporterFactory(name="孙立群", slug="sun-liqun")
    change_url = admin_url(reporter, "change", reporter.pk)
    data = form_data(editor_client.get(change_url), form_id="reporter_form")
    data["portrait"] = SimpleUploadedFile("头像.jpg", image_bytes(size=(3000, 2000)), content_type="image/jpeg")
    assert editor_client.post(change_url, data).status_code == 302

    reporter.refresh_from_db()
    with Image.open(media_root / reporter.portrait.name) as stored:
        assert stored.size == (480, 320)


# --- The workflow on the change page, the review queue and the desk counts ------------------------------


def test_the_change_page_shows_the_workflow_history(editor_client, reporter_user, editor_user):
    article = ArticleFactory(created_by=reporter_user)
    BylineFactory(article=article, reporter=reporter_user.reporter)
    services.submit_for_review(article, reporter_user, comment="请编辑审阅")
    services.return_to_reporter(article, editor_user, "导语太长")

    html = editor_client.get(admin_url(article, "change", article.pk)).content.decode()

    history = html[html.index('id="workflow-history"') :]
    assert "提交审核" in history or "Submitted for review" in history
    assert "请编辑审阅" in history and "导语太长" in history
    assert "李晓萌" in history and "editor" in history  # the reporter by byline name; an editor without one by login


def test_a_reporter_reads_their_story_in_review_but_cannot_change_it(reporter_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user, headline="送审稿")
    services.submit_for_review(article, reporter_user)
    page = reporter_client.get(admin_url(article, "change", article.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "送审稿" in html and 'name="headline"' not in html
    assert 'id="workflow-history"' in html


def test_publishing_shows_miswritten_words_in_context(editor_client, reporter_user):
    from tests.factories import WatchWordFactory

    WatchWordFactory(miswritten=True)
    article = ArticleFactory(created_by=reporter_user, body="<p>他做为代表发言。</p>")
    BylineFactory(article=article)
    services.submit_for_review(article, reporter_user)

    response = editor_client.post(reverse("admin:articles_article_workflow", args=[article.pk, "publish"]), follow=True)

    article.refresh_from_db()
    assert article.is_published()
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert any(tag == "warning" and "<mark>做为</mark>" in text and "作为" in text for tag, text in messages)


def test_blocking_findings_are_listed_and_only_a_chief_editor_gets_the_override_field(
    client, reporter_user, editor_user, chief_editor_user
):
    from tests.factories import WatchWordFactory

    WatchWordFactory(word="内幕")
    article = ArticleFactory(created_by=reporter_user, headline="揭开内幕")
    BylineFactory(article=article)
    services.submit_for_review(article, reporter_user)
    client.force_login(editor_user)

    html = client.get(admin_url(article, "change", article.pk)).content.decode()
    assert "<mark>内幕</mark>" in html
    assert 'name="override_reason"' not in html
    response = client.post(reverse("admin:articles_article_workflow", args=[article.pk, "publish"]), follow=True)
    assert any("内幕" in str(m) for m in response.context["messages"])
    assert not Article.objects.published().exists()

    client.force_login(chief_editor_user)
    assert 'name="override_reason"' in client.get(admin_url(article, "change", article.pk)).content.decode()
    client.post(
        reverse("admin:articles_article_workflow", args=[article.pk, "publish"]), {"override_reason": "标题已核实"}
    )
    assert Article.objects.published().get() == article


def test_the_review_queue_lists_the_oldest_submission_first(editor_client, reporter_user, monkeypatch):
    start = timezone.now() - timedelta(days=1)
    for hours, headline in [(3, "最晚送审"), (1, "最早送审"), (2, "第二送审")]:
        monkeypatch.setattr(timezone, "now", lambda hours=hours: start + timedelta(hours=hours))
        services.submit_for_review(ArticleFactory(created_by=reporter_user, headline=headline), reporter_user)
    monkeypatch.undo()
    ArticleFactory(headline="草稿不在队列")

    html = editor_client.get(admin_url(Article, "changelist") + "?workflow=queue").content.decode()

    assert "草稿不在队列" not in html
    assert html.index("最早送审") < html.index("第二送审") < html.index("最晚送审")


def test_the_index_shows_the_desk_counts(client, reporter_user, editor_user):
    mine = ArticleFactory(created_by=reporter_user)
    ArticleFactory(created_by=reporter_user)
    returned = ArticleFactory(created_by=reporter_user)
    services.submit_for_review(returned, reporter_user)
    services.return_to_reporter(returned, editor_user, "重写")
    services.submit_for_review(mine, reporter_user)
    ArticleFactory(scheduled=True)

    client.force_login(editor_user)
    html = client.get(reverse("admin:index")).content.decode()
    counts = dict(re.findall(r'class="desk-(\w+)">(\d+)<', html))
    assert counts == {"in_review": "1", "scheduled": "1", "my_drafts": "0", "returned_to_me": "0"}

    client.force_login(reporter_user)
    html = client.get(reverse("admin:index")).content.decode()
    counts = dict(re.findall(r'class="desk-(\w+)">(\d+)<', html))
    assert counts == {"in_review": "1", "scheduled": "0", "my_drafts": "2", "returned_to_me": "1"}
    returned_list = client.get(admin_url(Article, "changelist") + "?workflow=returned").content.decode()
    assert returned_list.count('class="action-select"') == 1


def test_the_editor_uploads_images_for_the_article_being_edited(editor_client):
    article = ArticleFactory()
    ExperienceEntryFactory(article=article)
    html = editor_client.get(admin_url(article, "change", article.pk)).content.decode()
    assert f'data-upload-url="/editor/images/?article={article.pk}"' in html
    assert html.count(f"?article={article.pk}") >= 2  # the body and the entry's body
    add_page = editor_client.get(admin_url(Article, "add")).content.decode()
    assert 'data-upload-url="/editor/images/"' in add_page


def test_every_field_of_a_byline_or_photo_row_is_named_for_screen_readers(editor_client):
    """In the tables of bylines and photos the column headers are not tied to the fields: each names itself."""
    article = ArticleFactory()
    BylineFactory(article=article)
    ArticlePhotoFactory(article=article, caption="会场")

    html = editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()

    for name, label in [
        ("bylines-0-role", "身份"),
        ("bylines-0-order", "排序"),
        ("bylines-0-DELETE", "删除"),
        ("article_photos-0-order", "排序"),
        ("article_photos-0-caption", "图说"),
        ("article_photos-0-DELETE", "删除"),
    ]:
        tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'aria-label="{label}' in tag, tag
    caption = re.search(r'<textarea[^>]*name="article_photos-0-caption"[^>]*>', html).group(0)
    assert 'rows="2"' in caption


def test_the_change_page_names_who_filed_the_story_as_colleagues_know_them(editor_client, reporter_user):
    article = ArticleFactory(created_by=reporter_user)

    html = editor_client.get(admin_url(article, "change", article.pk)).content.decode()

    record = re.search(r'<div class="form-row field-filed_by">.*?</div>\s*</div>', html, re.S).group(0)
    assert "李晓萌" in record and ">reporter<" not in record


def test_a_story_fills_one_home_page_slot(admin_client):
    """Put in 头条 and 要闻二条, a story was shown once and the second slot quietly took the latest story."""
    story = ArticleFactory(published=True, headline="全省妇联改革推进会召开")
    FrontPageSlot.objects.create(position=1, article=story)
    url = reverse("admin:articles_frontpageslot_add")

    response = admin_client.post(url, {"position": "2", "article": str(story.pk)})

    assert response.status_code == 200
    assert "《全省妇联改革推进会召开》已是头条：一篇稿件只占一个版位。" in response.content.decode()
    assert FrontPageSlot.objects.count() == 1
    assert admin_client.post(url, {"position": "2", "article": ""}).status_code == 302  # empty: the latest story


def test_a_lead_photo_caption_without_a_lead_photo_is_refused_with_what_was_typed(editor_client):
    """It was kept and shown nowhere: the editor believed the story had its photo and caption."""
    article = ArticleFactory(published=True)
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"lead_photo_caption": "会议现场。", "headline": "改过的标题", "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["lead_photo_caption"] == [
        "这条图说没有题图：请选择题图，或删去图说。"
    ]
    assert "会议现场。" in response.content.decode() and "改过的标题" in response.content.decode()
    assert Article.objects.get(pk=article.pk).lead_photo_caption == ""


def test_a_date_written_without_its_year_is_refused_saying_how_to_write_it(editor_client):
    """A reporter typed the dateline as people write it, 11月19日: "输入一个有效的日期。" said nothing of the form."""
    article = ArticleFactory()
    url = admin_url(article, "change", article.pk)
    data = form_data(editor_client.get(url))
    data.update({"dateline_on": "11月19日", "_save": "保存"})

    response = editor_client.post(url, data)

    assert response.context["adminform"].form.errors["dateline_on"] == [
        "请写上年份，按 2026-11-19 或 2026年11月19日 的格式填写日期。"
    ]
    assert 'value="11月19日"' in response.content.decode()


def test_the_night_desk_lists_an_issue_page_by_page(editor_client):
    """By publishing time, the list put A05 before the front page and the stories without a page anywhere."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    for headline, page, hours_ago in [
        ("五版稿件", "A05", 5),
        ("没排版的稿件", "", 4),
        ("二版稿件", "A02", 3),
        ("头版头条", "头版", 2),
        ("二版另一篇", "A02", 1),
    ]:
        ArticleFactory(
            headline=headline,
            print_issue_on=tomorrow,
            print_page_number=page,
            published=True,
            published_at=timezone.now() - timedelta(hours=hours_ago),
        )

    html = editor_client.get(admin_url(Article, "changelist") + "?print_issue=tomorrow").content.decode()

    listed = re.findall(r"(头版头条|二版另一篇|二版稿件|五版稿件|没排版的稿件)</a>", html)
    assert listed == ["头版头条", "二版另一篇", "二版稿件", "五版稿件", "没排版的稿件"]


def test_the_night_desk_lists_tomorrows_paper_with_each_storys_page(editor_client):
    """Laying out tomorrow's issue, the desk could not list its stories: no filter, no column, a search for A03
    found nothing."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    ArticleFactory(headline="明日三版", print_issue_on=tomorrow, print_page_number="A03", print_page_name="要闻")
    ArticleFactory(headline="明日头版", published=True, print_issue_on=tomorrow, print_page_number="A01")
    ArticleFactory(headline="今日见报", print_issue_on=timezone.localdate(), print_page_number="A02")
    ArticleFactory(headline="网络稿")

    html = editor_client.get(admin_url(Article, "changelist") + "?print_issue=tomorrow").content.decode()

    assert "明日三版" in html and "明日头版" in html
    assert "今日见报" not in html and "网络稿" not in html
    assert f"{tomorrow:%m-%d} A03版 要闻" in html
    assert "明天见报" in html  # the filter, in Chinese
