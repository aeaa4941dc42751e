"""The article page's story and asides written by article_story / article_asides (newsroom_tags.py) are byte for
byte what templates/articles/article_detail.html wrote before (its text kept here as OLD_ARTICLE_DETAIL): the same
view renders each article through both, with hostile text in every field, published, in preview and through a
share link."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Correction
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    ShareLinkFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

# templates/articles/article_detail.html before the story moved into article_story (9f73271).
OLD_ARTICLE_DETAIL = """{% extends "base.html" %}{% load i18n newsroom_tags %}
{% block page_title %}{{ article.headline }}{% endblock %}
{% block meta_description %}{{ article.summary|default:article.headline }}{% endblock %}
{% block og_meta %}{% article_head article request is_preview %}{% endblock %}
{% block content %}
<article class="article" aria-labelledby="headline">
  {% block preview_banner %}{% if is_preview %}<p class="preview-banner" role="status">{% translate "Not published: only staff who may edit this story can see this page." %}</p>{% endif %}{% endblock %}
  <header class="article-header">
    {% if article.kicker %}<p class="kicker">{{ article.kicker }}</p>{% endif %}
    <h1 id="headline" class="headline">{{ article.headline }}</h1>
    {% if article.subtitle %}<p class="subtitle">{{ article.subtitle }}</p>{% endif %}
    <p class="byline">{% article_byline article is_preview %}</p>

    <p class="article-meta">
      <a href="{{ article.section|page_url }}">{{ article.section.name }}</a>
      {% if article.published_at %} · <time datetime="{{ article.published_at|local_iso }}">{{ article.published_at|local_datetime }}</time>{% endif %}
      {% if article.print_reference and article.print_is_out or article.print_reference and is_preview %} · {% if is_preview %}<span class="print-reference">{% else %}<a class="print-reference" href="{{ article|print_url }}">{% endif %}{% blocktranslate with ref=article.print_reference %}In the paper: {{ ref }}{% endblocktranslate %}{% if is_preview %}</span>{% else %}</a>{% endif %}{% endif %}
    </p>
  </header>
  {% if article.lead_photo %}{% photo_figure article.lead_photo article.lead_photo_caption eager=True %}{% endif %}
  {% if article.dateline_on or article.dateline_place %}<p class="dateline">{% if article.dateline_place %}{{ article.dateline_place }} {% endif %}{% if article.dateline_on %}<time datetime="{{ article.dateline_on|iso_date }}">{{ article.dateline_on|long_date }}</time>{% endif %}</p>{% endif %}
  {% if article.pull_quote %}<blockquote class="pull-quote"><p>{{ article.pull_quote }}</p></blockquote>{% endif %}
  <div class="body">{{ article.body|responsive_images:body_photos }}</div>
  {% for item in article.article_photos.all %}{% if not item.photo_id or item.photo_id == article.lead_photo_id %}{# a caption still waiting for its photo; the lead photo, shown above already #}{% elif forloop.first and not article.lead_photo %}{% photo_figure item.photo item.caption eager=True %}{% else %}{% photo_figure item.photo item.caption %}{% endif %}{% endfor %}
  {% if oral_entries or written_entries %}
  <section class="entries" aria-label="{% translate 'Experience sharing' %}">
    {% if oral_entries %}<h2 class="entries-heading">{% translate "Shared orally at the meeting" %}</h2>
    {% for entry in oral_entries %}{% experience_entry entry body_photos is_preview %}{% endfor %}{% endif %}
    {% if written_entries %}<h2 class="entries-heading">{% translate "Shared in writing" %}</h2>
    {% for entry in written_entries %}{% experience_entry entry body_photos is_preview %}{% endfor %}{% endif %}
  </section>
  {% endif %}
  {% with topics=article.topics.all %}{% if topics %}<p class="topics">{% translate "Topics:" %}{% for topic in topics %}{% if is_preview %}{{ topic.title }}{% else %}<a href="{{ topic|page_url }}">{{ topic.title }}</a>{% endif %}{% if not forloop.last %}、{% endif %}{% endfor %}</p>{% endif %}{% endwith %}
  {% with corrections=article.corrections.all %}{% if corrections %}
  <section class="corrections" aria-labelledby="corrections-heading">
    <h2 id="corrections-heading">{% translate "Corrections and updates" %}</h2>
    <ul>
      {% for correction in corrections %}<li class="correction"><strong class="correction-kind">{{ correction.get_kind_display }}</strong> <time datetime="{{ correction.noted_at|local_iso }}">{{ correction.noted_at|local_datetime }}</time> <span class="correction-text">{{ correction.text }}</span></li>{% endfor %}
    </ul>
  </section>
  {% endif %}{% endwith %}
</article>
{% if package_articles %}
<aside class="related package" aria-labelledby="package-heading">
  <h2 id="package-heading">{% translate "Stories in this package" %}</h2>
  {% include "includes/_headline_list.html" with articles=package_articles only %}
</aside>
{% endif %}
{% if related_articles %}
<aside class="related" aria-labelledby="related-heading">
  <h2 id="related-heading">{% translate "Related stories" %}</h2>
  {% include "includes/_headline_list.html" with articles=related_articles only %}
</aside>
{% endif %}
{% endblock %}
"""

HOSTILE = "<script>alert('x')</script> & \"引号\" {} {0} {headline} %(ref)s %s %% &amp; 、"


def same_nonce(html):
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


@pytest.fixture
def page_both_ways(client, settings, tmp_path):
    """``page(url)``: (what the page is now, what the old template made of the same view's context)."""
    old_dir = tmp_path / "old-templates"
    (old_dir / "articles").mkdir(parents=True)
    (old_dir / "articles" / "article_detail.html").write_text(OLD_ARTICLE_DETAIL, encoding="utf-8")
    current = django_settings.TEMPLATES

    def page(url):
        settings.TEMPLATES = current
        new = client.get(url)
        settings.TEMPLATES = [{**current[0], "DIRS": [old_dir, *current[0]["DIRS"]]}]
        old = client.get(url)
        settings.TEMPLATES = current
        assert new.status_code == old.status_code == 200
        return same_nonce(new.content.decode()), same_nonce(old.content.decode())

    return page


def hostile_article(**extra):
    section = SectionFactory(name=HOSTILE[:20])
    lead = PhotoFactory(alt_text=HOSTILE, credit_text=HOSTILE)
    article = ArticleFactory(
        section=section,
        kicker=HOSTILE,
        headline=HOSTILE,
        subtitle=HOSTILE,
        source=HOSTILE[:90],
        summary=HOSTILE,
        dateline_place=HOSTILE[:50],
        dateline_on=date(2026, 11, 19),
        pull_quote=HOSTILE,
        body="<p>正文 &amp; {0} %(ref)s %s</p>",
        lead_photo=lead,
        lead_photo_caption=HOSTILE,
        print_issue_on=timezone.localdate() - timedelta(days=1),
        print_page_number="A{0}",
        print_page_name="%(ref)s<&>",
        **extra,
    )
    reporter = ReporterFactory(name=HOSTILE[:30])
    BylineFactory(article=article, reporter=reporter, role=BylineRoleFactory(name="记者<&>{0}"), order=1)
    BylineFactory(article=article, order=2)
    ArticlePhotoFactory(article=article, photo=lead, caption="lead again " + HOSTILE, order=0)
    ArticlePhotoFactory(article=article, photo=None, caption="waiting " + HOSTILE, order=1)
    ArticlePhotoFactory(
        article=article, photo=PhotoFactory(credit_reporter=reporter, credit_text=""), caption=HOSTILE, order=2
    )
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_text=HOSTILE), caption="", order=3)
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_text=""), caption="", order=4)
    ExperienceEntryFactory(
        article=article,
        oral=True,
        order=1,
        organization=OrganizationFactory(name=HOSTILE[:60], short_name=""),
        title=HOSTILE,
        highlight=HOSTILE,
        body="<p>发言 {0} %s</p>",
        photo=PhotoFactory(credit_text=HOSTILE),
        caption=HOSTILE,
    )
    ExperienceEntryFactory(
        article=article,
        written=True,
        order=2,
        organization=OrganizationFactory(short_name="短<名>{0}"),
        title="书面 %(ref)s",
    )
    article.topics.add(TopicFactory(title=HOSTILE[:60]), TopicFactory(title="两会 {0} %s"))
    CorrectionFactory(article=article, text=HOSTILE)
    CorrectionFactory(article=article, text="update " + HOSTILE, kind=Correction.Kind.UPDATE)
    return article


def test_a_published_story_with_hostile_text_in_every_field_is_what_the_template_wrote(page_both_ways):
    article = hostile_article(published=True)
    companion = ArticleFactory(published=True, headline=HOSTILE, package_lead=article)
    ArticleFactory(published=True, headline="related " + HOSTILE, section=article.section)
    new, old = page_both_ways(article.get_absolute_url())
    assert companion.pk
    assert new == old


def test_a_preview_with_hostile_text_in_every_field_is_what_the_template_wrote(page_both_ways, client, editor_user):
    article = hostile_article()
    client.force_login(editor_user)
    new, old = page_both_ways(article.get_absolute_url())
    assert "preview-banner" in new
    assert new == old


def test_a_share_link_preview_with_hostile_text_is_what_the_template_wrote(page_both_ways):
    article = hostile_article()
    link = ShareLinkFactory(article=article)
    new, old = page_both_ways(reverse("articles:share_preview", kwargs={"token": services.share_link_token(link)}))
    assert new == old


@pytest.mark.parametrize("published", [True, False])
def test_a_bare_story_is_what_the_template_wrote(page_both_ways, client, editor_user, published):
    article = ArticleFactory(published=published, headline="空", section=SectionFactory(name=""))
    client.force_login(editor_user)
    new, old = page_both_ways(article.get_absolute_url())
    assert new == old


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize("issue_days", [-1, 0, 1, None])
def test_print_references_and_photos_without_a_lead_are_what_the_template_wrote(
    page_both_ways, client, editor_user, published, issue_days
):
    """Tomorrow's paper, today's, yesterday's, none; a caption waiting for its photo first, a photo without a
    file, no lead photo; a page number without a name."""
    article = ArticleFactory(
        published=published,
        print_issue_on=None if issue_days is None else timezone.localdate() + timedelta(days=issue_days),
        print_page_number="<B2>",
        print_page_name="",
        dateline_on=date(2026, 1, 2),
    )
    ArticlePhotoFactory(article=article, photo=None, caption="待补", order=0)
    ArticlePhotoFactory(article=article, photo=PhotoFactory(image=""), caption="无文件", order=1)
    ArticlePhotoFactory(article=article, order=2)
    ExperienceEntryFactory(article=article, written=True, organization=OrganizationFactory(short_name=""))
    client.force_login(editor_user)
    new, old = page_both_ways(article.get_absolute_url())
    assert new == old
