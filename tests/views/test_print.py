"""The print-edition view: an issue's pages in order with their published articles, other issues, a date picker."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, BylineFactory
from tests.views.pages import MENU_QUERIES, UNPUBLISHED, headlines_in, links_in, main_of, text_of

pytestmark = pytest.mark.django_db

# menu, articles of the issue (section, lead photo joined), bylines, previous/next/first/last issue dates
PRINT_ISSUE_QUERIES = MENU_QUERIES + 2

ISSUE = date(2026, 11, 20)


def issue_url(issue_on):
    return reverse("articles:print_issue", kwargs={"issue_on": issue_on})


def in_print(issue_on, page, name, **kwargs):
    return ArticleFactory(
        published=True, print_issue_on=issue_on, print_page_number=page, print_page_name=name, **kwargs
    )


def pages_of(response):
    """[(page heading, [headlines])] in page order."""
    sections = re.findall(r'<section class="print-page" id="([^"]+)".*?<h2[^>]*>(.*?)</h2>(.*?)</section>',
                          main_of(response), re.S)  # fmt: skip
    return [
        (anchor, text_of(heading), [text_of(h) for h in re.findall(r"<h3 class=\"card-headline\">(.*?)</h3>", body, re.S)])
        for anchor, heading, body in sections
    ]  # fmt: skip


def test_issue_shows_its_pages_in_order_with_their_articles(client):
    in_print(ISSUE, "A03", "要闻", headline="三版稿")
    in_print(ISSUE, "A01", "要闻", headline="头版头条", published_at=timezone.now() - timedelta(hours=3))
    in_print(ISSUE, "A01", "要闻", headline="头版二条", published_at=timezone.now() - timedelta(hours=2))
    in_print(ISSUE + timedelta(days=1), "A01", "要闻", headline="次日头版")

    response = client.get(issue_url(ISSUE))

    assert response.status_code == 200
    assert issue_url(ISSUE) == "/print/2026-11-20/"
    assert "2026年11月20日" in text_of(re.search(r"<h1.*?</h1>", main_of(response), re.S).group(0))
    assert pages_of(response) == [
        ("page-a01", "A01版 要闻", ["头版头条", "头版二条"]),
        ("page-a03", "A03版 要闻", ["三版稿"]),
    ]


def test_page_numbers_typed_differently_are_one_page_and_in_page_order(client):
    """ "A01" and "a01" were two pages with the same anchor, and A10 came before A3."""
    in_print(ISSUE, "A10", "文化", headline="十版稿")
    in_print(ISSUE, "A3", "要闻", headline="三版稿")
    in_print(ISSUE, "A01", "要闻", headline="头版头条", published_at=timezone.now() - timedelta(hours=3))
    in_print(ISSUE, "a01", "要闻", headline="头版二条", published_at=timezone.now() - timedelta(hours=2))

    assert pages_of(client.get(issue_url(ISSUE))) == [
        ("page-a01", "A01版 要闻", ["头版头条", "头版二条"]),
        ("page-a03", "A03版 要闻", ["三版稿"]),
        ("page-a10", "A10版 文化", ["十版稿"]),
    ]
    three = Article.objects.get(headline="三版稿")
    assert three.get_print_url().endswith("#page-a03")  # the story's link lands on its page


def test_a_page_named_by_its_number_is_not_called_twice(client):
    """ "头版" as number and name read "头版版 头版"."""
    article = in_print(ISSUE, "头版", "头版", headline="头版稿")

    assert [heading for _anchor, heading, _headlines in pages_of(client.get(issue_url(ISSUE)))] == ["头版"]
    assert article.print_reference == "2026年11月20日 头版"


def test_pages_named_in_chinese_have_anchors_of_their_own(client):
    in_print(ISSUE, "头版", "要闻", headline="头版稿")
    in_print(ISSUE, "专版", "文化", headline="专版稿")

    anchors = [anchor for anchor, _heading, _headlines in pages_of(client.get(issue_url(ISSUE)))]

    assert sorted(anchors) == ["page-专版", "page-头版"]


def test_the_front_page_comes_first_and_stories_without_a_page_last(client):
    """头版 sorted after A10 (by its characters) and the stories given a date but no page came before A01."""
    in_print(ISSUE, "", "", headline="未标版次稿")
    in_print(ISSUE, "A10", "文化", headline="十版稿")
    in_print(ISSUE, "专版", "健康", headline="专版稿")
    in_print(ISSUE, "A02", "要闻", headline="二版稿")
    in_print(ISSUE, "头版", "", headline="头版稿")

    headlines = [names for _anchor, _heading, names in pages_of(client.get(issue_url(ISSUE)))]

    assert headlines == [["头版稿"], ["二版稿"], ["十版稿"], ["专版稿"], ["未标版次稿"]]


@pytest.mark.parametrize(("name", "heading"), [("", "未标版次"), ("基层动态", "未标版次 基层动态")])
def test_the_list_of_pages_links_the_stories_without_a_page_by_their_heading(client, name, heading):
    """It was an empty link to "#" (a box with nothing in it, read as "link", leading to the top of the page)."""
    in_print(ISSUE, "A01", "要闻", headline="一版稿")
    in_print(ISSUE, "", name, headline="未标版次稿")
    html = client.get(issue_url(ISSUE)).content.decode()

    links = re.findall(
        r'<li><a href="#([^"]*)">([^<]*)</a></li>', html.split('class="print-pages"')[1].split("</nav>")[0]
    )

    assert links == [("page-a01", "A01版 要闻"), ("page-unnumbered", heading)]
    assert f'<h2 class="print-page-title" id="page-unnumbered-heading">{heading}</h2>' in html


@pytest.mark.parametrize("name", ["法治维权", "妇女儿童", ""])
def test_one_print_page_has_one_name(editor_client, name):
    """A03 named 妇女儿童 by one story and 法治维权 by another: the issue's page showed one, the other story's
    reference named a page the reader could not find."""
    from tests.test_admin import form_data

    in_print(ISSUE, "A03", "妇女儿童", headline="家门口的妇女之家")
    article = ArticleFactory()
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(editor_client.get(change_url))
    data.update({"print_issue_on": "2026-11-20", "print_page_number": "a3", "print_page_name": name, "_save": "1"})

    response = editor_client.post(change_url, data)

    if name == "法治维权":
        assert response.status_code == 200
        assert (
            "该期A03版已名为“妇女儿童”（见《家门口的妇女之家》）：请用同一版名，或留空以沿用该版版名。" in response.text
        )
        assert Article.objects.get(pk=article.pk).print_issue_on is None
    else:
        assert response.status_code == 302


@pytest.mark.parametrize(
    ("number", "name", "page"), [("A02", "专版", "A02版 专版"), ("A02", "", "A02版"), ("", "专版", "专版")]
)
def test_a_print_page_without_the_paper_s_date_is_refused(editor_client, number, name, page):
    """It was kept and shown nowhere: not on the story's page, not in any issue."""
    from tests.test_admin import form_data

    article = ArticleFactory()
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(editor_client.get(change_url))
    data.update({"print_issue_on": "", "print_page_number": number, "print_page_name": name, "_save": "1"})

    response = editor_client.post(change_url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["print_issue_on"] == [f"请填写“{page}”所在那期报纸的见报日期。"]
    assert Article.objects.get(pk=article.pk).print_page_number == ""


def test_a_story_whose_page_came_to_have_two_names_still_takes_an_unrelated_edit(editor_client):
    """A reporter's draft could not see an editor's name for the page, and both went live: every later save of
    either story was refused over the page's name, a headline fix included."""
    from tests.test_admin import form_data

    in_print(ISSUE, "A02", "专版甲")
    other = in_print(ISSUE, "A02", "专版乙", headline="记者稿乙")
    change_url = reverse("admin:articles_article_change", args=[other.pk])
    data = form_data(editor_client.get(change_url))
    data.update({"headline": "记者稿乙（修改标题）", "_save": "1"})

    assert editor_client.post(change_url, data).status_code == 302
    assert Article.objects.get(pk=other.pk).headline == "记者稿乙（修改标题）"


def test_a_story_that_leaves_its_page_name_empty_takes_the_page_s(editor_client, client):
    """The issue's page listed it under the page's name, its own page said "A03版" with no name."""
    from tests.test_admin import form_data

    in_print(ISSUE, "A03", "妇女儿童")
    article = ArticleFactory(published=True, headline="同版的另一篇")
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(editor_client.get(change_url))
    data.update({"print_issue_on": "2026-11-20", "print_page_number": "A03", "print_page_name": "", "_save": "1"})

    assert editor_client.post(change_url, data).status_code == 302
    assert Article.objects.get(pk=article.pk).print_page_name == "妇女儿童"
    assert "2026年11月20日 A03版 妇女儿童" in text_of(client.get(article.get_absolute_url()).content.decode())


def test_an_editor_renaming_a_story_s_page_renames_the_page(editor_client):
    """Every other story on it refused the new name in turn: the desk had to empty the name of each first."""
    from tests.test_admin import form_data

    stories = [in_print(ISSUE, "A03", "妇女儿童") for _ in range(3)]
    elsewhere = in_print(ISSUE, "A04", "妇女儿童")
    before = {story.pk: story.edit_count for story in stories}
    change_url = reverse("admin:articles_article_change", args=[stories[0].pk])
    data = form_data(editor_client.get(change_url))
    data.update({"print_page_name": "民生", "_save": "1"})

    response = editor_client.post(change_url, data, follow=True)

    assert "该期A03版另外 2 篇稿件的版名也已改为“民生”。" in [str(message) for message in response.context["messages"]]
    assert {story.print_page_name for story in Article.objects.filter(print_page_number="A03")} == {"民生"}
    assert Article.objects.get(pk=elsewhere.pk).print_page_name == "妇女儿童"
    # A form of another of them opened before the rename is refused, rather than putting the old name back.
    assert all(Article.objects.get(pk=story.pk).edit_count > before[story.pk] for story in stories[1:])


def test_a_reporter_may_not_rename_a_page_other_stories_share(client, reporter_user):
    from tests.test_admin import form_data

    in_print(ISSUE, "A03", "妇女儿童", headline="同版的稿件")
    own = in_print(ISSUE, "A03", "妇女儿童", created_by=reporter_user, status="draft", published_at=None)
    client.force_login(reporter_user)
    change_url = reverse("admin:articles_article_change", args=[own.pk])
    data = form_data(client.get(change_url))
    data.update({"print_page_name": "民生", "_save": "1"})

    response = client.post(change_url, data)

    assert response.status_code == 200 and "该期A03版已名为“妇女儿童”" in response.text
    assert set(Article.objects.values_list("print_page_name", flat=True)) == {"妇女儿童"}


def test_a_story_naming_a_live_page_otherwise_is_not_published(editor_user, reporter_user):
    """Published without opening the form (a reporter's draft named the page otherwise, or a story came back from
    the trash with its old name): the issue's page and the story's own reference disagreed."""
    from articles import services

    in_print(ISSUE, "A02", "专版甲")
    story = in_print(ISSUE, "A02", "专版乙", created_by=reporter_user, status="draft", published_at=None)
    BylineFactory(article=story, reporter=reporter_user.reporter)
    services.submit_for_review(story, reporter_user)

    with pytest.raises(services.WorkflowError) as caught:
        services.publish(story, editor_user)

    assert [finding.message for finding in caught.value.findings] == [
        "网站上该期A02版已名为“专版甲”：请给稿件填同一版名，或留空以沿用该版版名。"
    ]
    assert not Article.objects.published().filter(pk=story.pk).exists()


def test_the_page_name_check_names_no_story_its_reader_may_not_open(client, reporter_user):
    """The refusal quoted the other story's headline: another reporter's draft or an embargoed story was read by
    typing its issue and page. Only stories the reader may open count."""
    from tests.test_admin import form_data

    ArticleFactory(scheduled=True, headline="禁发：定时稿标题", print_issue_on=ISSUE, print_page_number="A01",
                   print_page_name="要闻")  # fmt: skip
    own = ArticleFactory(headline="我的稿件", created_by=reporter_user)
    client.force_login(reporter_user)
    change_url = reverse("admin:articles_article_change", args=[own.pk])
    data = form_data(client.get(change_url))
    data.update({"print_issue_on": "2026-11-20", "print_page_number": "A01", "print_page_name": "法治", "_save": "1"})

    response = client.post(change_url, data)

    assert response.status_code == 302
    assert "禁发" not in response.text


@pytest.mark.parametrize(
    ("typed", "stored"), [("a3", "A03"), (" A 03 ", "A03"), ("Ａ１２", "A12"), ("A3版", "A03"), ("头版", "头版")]
)
def test_a_page_number_is_stored_as_the_paper_writes_it(editor_client, typed, stored):
    from tests.test_admin import form_data

    article = ArticleFactory()
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(editor_client.get(change_url))
    data.update({"print_issue_on": "2026-11-20", "print_page_number": typed, "_continue": "1"})

    assert editor_client.post(change_url, data).status_code == 302
    assert Article.objects.get(pk=article.pk).print_page_number == stored


def test_issue_links_to_the_previous_and_next_issues(client):
    in_print(date(2026, 11, 10), "A01", "要闻")
    in_print(date(2026, 11, 18), "A01", "要闻")
    in_print(ISSUE, "A01", "要闻")
    in_print(date(2026, 11, 23), "A01", "要闻")
    in_print(date(2026, 11, 19), "A01", "要闻", status="draft", published_at=None)  # not an issue for readers

    html = main_of(client.get(issue_url(ISSUE)))
    nav = re.search(r'<nav class="issue-nav".*?</nav>', html, re.S).group(0)

    assert re.search(r'rel="prev" href="/print/2026-11-18/"', nav)
    assert re.search(r'rel="next" href="/print/2026-11-23/"', nav)


def test_first_and_last_issue_have_one_neighbour(client):
    in_print(ISSUE, "A01", "要闻")
    in_print(ISSUE + timedelta(days=1), "A01", "要闻")
    first = main_of(client.get(issue_url(ISSUE)))
    last = main_of(client.get(issue_url(ISSUE + timedelta(days=1))))
    assert 'rel="prev"' not in first.split('class="issue-picker"')[0] and 'rel="next"' in first
    assert 'rel="next"' not in last.split('class="issue-picker"')[0] and 'rel="prev"' in last


def test_date_picker_is_a_get_form_with_a_date_input_that_leads_to_the_issue(client):
    in_print(date(2026, 11, 1), "A01", "要闻")
    in_print(ISSUE, "A01", "要闻")
    html = main_of(client.get(issue_url(ISSUE)))
    form = re.search(r'<form class="issue-picker".*?</form>', html, re.S).group(0)
    assert 'method="get"' in form and 'action="/print/"' in form
    assert re.search(
        r'<input type="date" name="date" id="id_date" value="2026-11-20" min="2026-11-01" max="2026-11-20"', form
    )
    assert '<label for="id_date">' in form

    response = client.get("/print/?date=2026-11-01")
    assert response.status_code == 302 and response["Location"] == "/print/2026-11-01/"


def test_a_picked_date_without_an_issue_leads_to_the_last_issue_before_it(client):
    """The paper does not come out every day (the picker allows any day between the first and the last issue)."""
    in_print(date(2026, 11, 13), "A01", "要闻")
    in_print(ISSUE, "A01", "要闻")
    in_print(date(2026, 11, 17), "A01", "要闻", status="draft", published_at=None)

    for picked, issue in [("2026-11-17", "2026-11-13"), ("2026-11-21", "2026-11-20"), ("2026-11-01", "2026-11-13")]:
        response = client.get(f"/print/?date={picked}")
        assert (response.status_code, response["Location"]) == (302, f"/print/{issue}/?picked={picked}"), picked
        page = client.get(response["Location"])
        # The page says so: the reader asked for another day (it led there silently).
        year, month, day = (int(part) for part in picked.split("-"))
        which = "此前最近的一期" if picked > issue else "那以后的第一期"
        assert page.status_code == 200 and f"{year}年{month}月{day}日没有出报，这是{which}" in page.content.decode()

    on_its_day = client.get("/print/?date=2026-11-20")
    assert on_its_day["Location"] == "/print/2026-11-20/"
    assert "没有出报" not in client.get("/print/2026-11-20/?picked=2026-11-20").content.decode()
    # A link whose picked day had an issue of its own (a shared or edited address) claims no day without one.
    for other in ["2026-11-20", "2026-11-25"]:
        assert "没有出报" not in client.get(f"/print/2026-11-13/?picked={other}").content.decode(), other
    assert "2026年11月15日没有出报" in client.get("/print/2026-11-13/?picked=2026-11-15").content.decode()
    assert "2026年11月10日没有出报" in client.get("/print/2026-11-13/?picked=2026-11-10").content.decode()


def test_a_picked_day_still_to_come_is_not_out_yet(client):
    """Tomorrow's paper may be laid out already: the page said it "did not come out" that day."""
    today = timezone.localdate()
    in_print(today, "A01", "要闻")
    in_print(today + timedelta(days=1), "A01", "要闻")  # laid out, not out before its midnight
    tomorrow = today + timedelta(days=1)

    response = client.get(f"/print/?date={tomorrow.isoformat()}", follow=True)

    text = text_of(response.content.decode())
    assert f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日的报纸还没有出版，这是最新一期。" in text
    assert "没有出报" not in text


def test_print_without_a_date_goes_to_the_latest_issue(client):
    in_print(ISSUE, "A01", "要闻")
    in_print(ISSUE + timedelta(days=2), "A01", "要闻", status="draft", published_at=None)
    in_print(ISSUE + timedelta(days=3), "A01", "要闻", scheduled=True)
    for query in ["", "?date=", "?date=%20", "?date=%00"]:
        response = client.get(f"/print/{query}")
        assert response.status_code == 302
        assert response["Location"] == "/print/2026-11-20/"


def test_a_date_that_cannot_be_read_leads_to_the_latest_issue_saying_so(client):
    in_print(ISSUE - timedelta(days=1), "A01", "要闻")
    in_print(ISSUE, "A01", "要闻")
    for typed in ["garbage", "2026-02-30", "20261120x", "<b>明天</b>"]:
        response = client.get(f"/print/?date={typed}")
        assert (response.status_code, response["Location"]) == (302, "/print/2026-11-20/?picked=unreadable"), typed

    html = client.get("/print/2026-11-20/?picked=unreadable").content.decode()
    assert "没能读出所选的日期（请写成 2026-11-20 这样）：这是最新一期。" in html
    # An older issue is not the latest: a link naming it so (edited, or shared late) says nothing.
    assert "没能读出" not in client.get("/print/2026-11-19/?picked=unreadable").content.decode()


def test_print_without_any_issue_is_404(client):
    ArticleFactory(published=True)
    assert client.get("/print/").status_code == 404


@pytest.mark.parametrize("path", ["/print/2026-11-21/", "/print/2026-02-30/", "/print/2026-1-5/", "/print/x/"])
def test_a_date_without_a_published_issue_is_404(client, path):
    in_print(ISSUE, "A01", "要闻")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_issue_never_shows_an_unpublished_article(client, state):
    ArticleFactory(print_issue_on=ISSUE, print_page_number="A01", headline="不该出现", **state)
    in_print(ISSUE, "A01", "要闻", headline="刚发布", just_published=True)

    response = client.get(issue_url(ISSUE))

    assert headlines_in(response) == ["刚发布"]
    assert "不该出现" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_an_issue_of_unpublished_articles_only_is_404_and_not_a_neighbour(client, state):
    ArticleFactory(print_issue_on=ISSUE, print_page_number="A01", **state)
    in_print(ISSUE - timedelta(days=1), "A01", "要闻")
    assert client.get(issue_url(ISSUE)).status_code == 404
    assert "/print/2026-11-20/" not in links_in(main_of(client.get(issue_url(ISSUE - timedelta(days=1)))))


def test_a_scheduled_issue_appears_once_its_time_passes(client, clock):
    ArticleFactory(scheduled=True, print_issue_on=ISSUE, print_page_number="A01")
    assert client.get(issue_url(ISSUE)).status_code == 404
    clock.advance(days=2)
    assert client.get(issue_url(ISSUE)).status_code == 200


@pytest.mark.parametrize("n", [1, 12])
def test_print_issue_queries_do_not_grow(client, django_assert_num_queries, n):
    for index in range(n):
        article = in_print(ISSUE, f"A{index % 8 + 1:02d}", "要闻")
        BylineFactory.create_batch(index % 3 + 1, article=article)
        in_print(ISSUE - timedelta(days=index + 1), "A01", "要闻")

    with django_assert_num_queries(PRINT_ISSUE_QUERIES):
        response = client.get(issue_url(ISSUE))
    assert len(headlines_in(response)) == n
