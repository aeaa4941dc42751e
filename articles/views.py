"""Public pages, and the image-upload endpoint of the admin's rich-text editor."""

import copy
import datetime
import itertools
from functools import partial, wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.validators import slug_re
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, DateTimeField, F, Func, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Trunc
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import (
    ArchiveIndexView,
    DayArchiveView,
    DetailView,
    ListView,
    MonthArchiveView,
    TemplateView,
    YearArchiveView,
)

from articles import cache as page_cache
from articles import cards, menu, search, services
from articles.forms import ExperienceEntryFilterForm, PrintIssueForm, SearchFilterForm
from articles.models import (
    Article,
    Byline,
    ExperienceEntry,
    FormerSlug,
    FrontPageSlot,
    Organization,
    Reporter,
    Section,
    Topic,
    TopicLink,
    print_page_anchor,
    print_page_title,
)
from articles.querysets import STAND_IN_IDS, STAND_IN_OBJECT, STAND_IN_SLUG, fetch_compiled, package_rows

MAX_PAGE_NUMBER = 1_000_000


class SeekPaginator(Paginator):
    """Pages of a long list that cost about the same however deep: the page's ids are read first, from the
    ordering's index alone (the skipped entries are index entries, never table rows: an index-only scan on
    PostgreSQL), then only those rows are loaded with their parts. One query, like a plain page."""

    count_key = None  # set by the view: a name for this list's length (e.g. "section:3")
    count_source = None  # and a function returning the list's stories whatever their time (``count_and_next()``
    # counts them): called only when the count is not kept, since building the queryset costs CPU on every page
    compiled_list = None  # set by the view: (key, build(now), values) of the list, see CardListMixin.compiled_list
    known_ids = None  # or the list's ids, in its order, when the view has them: a page loads its slice of them

    @cached_property
    def count(self):
        """The list's length. With a ``count_key`` it is kept in the cache under the current content generation
        (articles/cache.py: any change of content starts a new one) until the next scheduled story of the list
        goes live, so that a list of 100,000 stories is not counted on every request."""
        if self.count_key is None:
            return super().count
        # From the primary: a lagging replica's count would be kept for the whole generation.
        source = self.count_source().using(DEFAULT_DB_ALIAS)
        return page_cache.kept_for_generation(f"count:{self.count_key}", source.count_and_next)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # A page in the list's second half is found from its end: the index is read backwards (the list's length
        # is exact, see ``count``), so the last page costs what the first does and the middle one the most.
        backwards = bottom > self.count - top
        start, stop = (self.count - top, self.count - bottom) if backwards else (bottom, top)

        def page_rows(stories, rows):
            if stories.model is not rows.model:  # the page's ids read from another table, in the list's order
                ids = stories
            else:
                ids = (rows if stories is rows else stories.order_by(*rows.query.order_by)).values("pk")
            return rows.filter(pk__in=(ids.reverse() if backwards else ids)[start:stop])

        if self.known_ids is not None:
            # The page's ids are known: only their rows are read (one compiled query per number of rows).
            ids = self.known_ids[bottom:top]
            rows = fetch_compiled(
                ("rows of ids", len(ids)),
                lambda now: Article.objects.for_cards().filter(pk__in=[STAND_IN_IDS - i for i in range(len(ids))]),
                self.object_list.db,
                {STAND_IN_IDS - i: pk for i, pk in enumerate(ids)},
            )
            return self._get_page(rows, number, self)
        if self.compiled_list is None:
            return self._get_page(page_rows(self.object_list, self.object_list), number, self)
        # The same query, built and compiled once per process and page position (querysets.fetch_compiled).
        key, build, values = self.compiled_list
        rows = fetch_compiled(
            (*key, backwards, start, stop), lambda now: page_rows(*build(now)), self.object_list.db, values
        )
        return self._get_page(rows, number, self)


class CountedPagePaginator(Paginator):
    """Pages whose rows bring the list's length with them: the count is a subquery of the page's query (computed
    once: it does not depend on the row), so a page costs one query instead of a count and then the rows, and the
    database does the same work. A page past the end has no row to tell the length; it is refused as Django's
    paginator refuses it, and page 1 of an empty list is an empty page. No orphans."""

    compiled_list = None  # set by the view: (key, build(now), values), the list for ``fetch_compiled``

    def page(self, number):
        if "count" in self.__dict__:  # already counted (``?page=last`` asks for the number of pages first)
            return super().page(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number > MAX_PAGE_NUMBER:  # no list is that long; such an OFFSET overflows SQLite's integers
            raise EmptyPage(self.error_messages["no_results"])
        bottom = (number - 1) * self.per_page

        def page_rows(entries):
            length = entries.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
            counted = entries.annotate(list_length_=Subquery(length, output_field=IntegerField()))
            return counted[bottom : bottom + self.per_page]

        if self.compiled_list is None:
            rows = list(page_rows(self.object_list))
        else:  # built and compiled once per process and page (querysets.fetch_compiled)
            key, build, values = self.compiled_list
            rows = fetch_compiled((*key, bottom), lambda now: page_rows(build(now)), self.object_list.db, values)
        if rows:
            self.__dict__["count"] = rows[0].list_length_
        elif number == 1 and self.allow_empty_first_page:
            self.__dict__["count"] = 0
        else:
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(rows, number, self)


class HomeView(TemplateView):
    """The home page: the editors' lead and secondary stories, each section's latest, topics, experience."""

    template_name = "articles/home.html"
    per_section = 4
    featured_topics = 6
    entry_highlights = 6

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sections = menu.menu_sections()
        positions = FrontPageSlot.Position.values
        rows = Article.objects.for_home(
            [section.pk for section in sections], per_section=self.per_section, fallbacks=len(positions)
        )
        lead, *secondary = self.front_page_stories(rows, positions) or [None]
        context["lead"] = [cards.article_card(lead, lead=True)] if lead else []
        context["secondary"] = cards.article_cards(secondary)
        by_section = {}
        for row in rows:  # newest first
            by_section.setdefault(row["section_id"], []).append(row)
        blocks = []
        for section in sections:  # menu order; each section's newest first
            in_section = by_section.get(section.pk, [])[: self.per_section]
            if in_section:
                blocks.append(
                    {
                        "slug": section.slug,
                        "name": section.name,
                        "url": cards.slug_url("articles:section_detail", section.slug),
                        "cards": cards.headline_cards(in_section),
                    }
                )
        context["section_blocks"] = blocks
        # Kept for the generation (in this process too, read without unpickling) until a featured topic's first
        # scheduled story goes live.
        context["topics"] = page_cache.kept_for_generation(
            "featured-topics", self.featured_topics_shown, kept_in_process=True
        )
        context["entries"], _more = kept_entry_cards(
            ("latest entries",), "home-entries", ExperienceEntry.objects.all, self.entry_highlights
        )
        return context

    def featured_topics_shown(self):
        """(the first featured topics with a published story, when the next featured topic gets its first one or
        None) for ``kept_for_generation``: one query over the featured topics (a topic whose stories are all drafts
        or embargoed is on no public page)."""
        topics = fetch_compiled(
            ("featured topics",),
            Topic.objects.featured_for_home,
            DEFAULT_DB_ALIAS,  # from the primary: a lagging replica's would be kept for the generation
        )
        shown = [topic for topic in topics if topic.is_public][: self.featured_topics]
        goes_public = [topic.goes_public for topic in topics if not topic.is_public and topic.goes_public]
        return shown, min(goes_public, default=None)

    @staticmethod
    def front_page_stories(rows, positions):
        """One story per slot, in slot order: the editors' pick, or else the latest story not already shown."""
        picked = {}
        for row in sorted((row for row in rows if row["slot"] is not None), key=lambda row: row["slot"]):
            picked.setdefault(row["slot"], row)
        latest = (row for row in rows if row["slot"] is None)
        stories = [picked.get(position) or next(latest, None) for position in positions]
        return [story for story in stories if story is not None]


class CardListMixin:
    """A paginated list of stories shown as cards (articles/cards.py): the page's rows become cards once."""

    context_object_name = "articles"
    paginate_by = 20
    paginator_class = SeekPaginator
    count_key = None  # a name for the list's length, cached (see SeekPaginator)
    count_source = None  # a function returning the list's stories whatever their time, for that count
    known_count = None  # the list's length, when it came with the page's object
    known_ids = None  # the list's ids in its order, when they came with the page's object (SeekPaginator.known_ids)

    def get_queryset(self):
        # The page's rows come from the compiled list (compiled_list()): this queryset only names their database
        # (the read replica's, see newsroom/routers.py).
        return Article.objects.all()

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        if self.known_count is not None:
            paginator.__dict__["count"] = self.known_count  # the cached_property's value
        elif self.count_key is not None:
            paginator.count_key, paginator.count_source = self.count_key, self.count_source
        paginator.compiled_list = self.compiled_list()
        paginator.known_ids = self.known_ids
        return paginator

    def compiled_list(self):
        """(key, build(now), values): the view's list for ``fetch_compiled``, built with the time ``now`` and the
        stand-in values of ``values`` (every card list has one: its queryset only names the database). ``build``
        returns the stories plain and as the page's rows (``for_cards()``): the page's ids are read from the plain
        ones, since a join of the cards' (the lead photo) kept PostgreSQL from reading them from the index alone
        (4 ms instead of 14 for the middle of a 10,000-story section)."""
        raise NotImplementedError

    @staticmethod
    def stories_and_cards(stories):
        # The rows are found by the page's ids alone: repeating the list's filters there made PostgreSQL read the
        # whole list again (a topic's every story) to check 20 rows that already passed them.
        return stories, Article.objects.for_cards()

    def card_options(self):
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context[self.context_object_name] = cards.article_cards(
            context[self.context_object_name], **self.card_options()
        )
        return context


class ArticleListView(CardListMixin, ListView):
    """The latest published articles, newest first."""

    template_name = "articles/article_list.html"
    count_key = "latest"

    def get_queryset(self):
        self.count_source = Article.objects.all
        return super().get_queryset()

    def compiled_list(self):
        return ("latest",), lambda now: self.stories_and_cards(Article.objects.published(now)), {}


def rich_text_photos(article, entries):
    """Our own photos shown in the article's and its entries' rich text, for the ``responsive_images`` filter
    (the other photos of the page carry their renditions themselves)."""
    return services.rich_text_photos(article.body, *(entry.body for entry in entries))


class ArticleDetailView(DetailView):
    context_object_name = "article"
    related_articles = 4

    def get_object(self, queryset=None):
        article = Article.objects.published_detail(self.kwargs["pk"], related=self.related_articles)
        if article is None:
            # Whoever may edit a story can open it unpublished at its normal URL; everyone else gets 404.
            editable = Article.objects.editable_by(self.request.user).values("pk")
            article = get_object_or_404(
                Article.objects.filter(pk__in=editable).for_detail().with_package(), pk=self.kwargs["pk"]
            )
            self.is_preview = True
        return article

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_preview"] = getattr(self, "is_preview", False)
        entries = list(self.object.experience_entries.all())
        context["oral_entries"] = [e for e in entries if e.form == e.Form.ORAL]
        context["written_entries"] = [e for e in entries if e.form != e.Form.ORAL]
        context["body_photos"] = rich_text_photos(self.object, entries)
        related = getattr(self.object, "related_rows", None)  # read with the article (PostgreSQL)
        if related is None:
            related = Article.objects.related_to(self.object, limit=self.related_articles)
        package = package_rows(self.object)  # 本组报道: its stories are not repeated among the related ones
        in_package = {row["id"] for row in package}
        context["package_articles"] = cards.headline_cards(package)
        context["related_articles"] = cards.headline_cards(row for row in related if row["id"] not in in_package)
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
        return response


def _keep_private(response):
    """A preview must not be indexed, cached, or passed on in a Referer header (its URL is the key)."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


class ShareLinkPreviewView(DetailView):
    """/preview/<token>/: one article, read-only, for the outside source a preview link was made for.

    The token is the link's key signed with the site's secret; an expired or revoked link answers 410 Gone,
    a forged or unknown token, or an article in the trash, 404. A fixed number of queries.
    """

    template_name = "articles/article_share_preview.html"
    context_object_name = "article"

    def get(self, request, *args, **kwargs):
        self.share_link = services.share_link_for_token(kwargs["token"])
        if self.share_link is None:
            raise Http404(_("This preview link does not exist."))
        if not self.share_link.is_active():
            context = {"revoked": self.share_link.revoked_at is not None}
            return _keep_private(render(request, "articles/share_link_gone.html", context, status=410))
        return _keep_private(super().get(request, *args, **kwargs))

    def get_object(self, queryset=None):
        # Article.objects leaves the trash out: a trashed story is not shown, whatever the link says.
        return get_object_or_404(Article.objects.for_detail(), pk=self.share_link.article_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = list(self.object.experience_entries.all())
        context["share_link"] = self.share_link
        context["is_preview"] = True  # no links to pages of the print edition
        context["oral_entries"] = [e for e in entries if e.form == e.Form.ORAL]
        context["written_entries"] = [e for e in entries if e.form != e.Form.ORAL]
        context["body_photos"] = rich_text_photos(self.object, entries)
        return context


class ArticlesOfView(CardListMixin, ListView):
    """A page about one object (section, topic, reporter) listing its published articles."""

    model = None  # the object the page is about, looked up by its slug

    def stories_of(self, obj):
        """The object's stories whatever their state, each once (``obj`` may also be its id): the published ones
        are listed, and counted once per content generation (``SeekPaginator.count``)."""
        raise NotImplementedError

    def articles_of(self, obj, now=None):
        """The object's published articles (at ``now``)."""
        return self.stories_of(obj).published(now)

    def get_object(self):
        # Kept for the content generation (any edit of it starts a new one); a 404 is not kept.
        name = f"{self.model._meta.model_name}:{self.kwargs['slug']}"
        return page_cache.kept_for_generation(
            name,
            lambda: (get_object_or_404(self.model.objects.using(DEFAULT_DB_ALIAS), slug=self.kwargs["slug"]), None),
        )

    def get_queryset(self):
        self.object = self.get_object()
        self.count_key = f"{self.model._meta.model_name}:{self.object.pk}"
        self.count_source = partial(self.stories_of, self.object)
        return super().get_queryset()

    def compiled_list(self):
        # One compiled query for every object of the model: its id is a value.
        return (
            (self.model._meta.model_name,),
            lambda now: self.stories_and_cards(self.articles_of(STAND_IN_OBJECT, now)),
            {STAND_IN_OBJECT: self.object.pk},
        )

    def get_template_names(self):
        return [f"articles/{self.model._meta.model_name}_detail.html"]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**{self.model._meta.model_name: self.object}, **kwargs)


class SectionDetailView(ArticlesOfView):
    model = Section

    def get_object(self):
        section = menu.section_by_slug(self.kwargs["slug"])  # the cached menu holds whole sections: no query
        if section is None:
            raise Http404(_("No section found matching the query"))
        return section

    def stories_of(self, section):
        return Article.objects.in_section(section)


class TopicListView(ListView):
    context_object_name = "topics"
    paginate_by = 20

    def get_queryset(self):
        return Topic.objects.with_published_stories()


class TopicDetailView(ArticlesOfView):
    """A topic (专题): its introduction, its published articles and the experience entries they carry."""

    model = Topic
    entries_shown = 20  # the newest experience entries of its articles: a page of constant size

    def stories_of(self, topic):
        return Article.objects.in_topic(topic)

    def get_object(self):
        name = f"topic-and-count:{self.kwargs['slug']}"
        topic, self.known_count, self.known_ids = page_cache.kept_for_generation(name, self.topic_and_count)
        if not self.known_count:  # public through its published stories only, as a reporter is
            raise Http404(_("No topic found matching the query"))
        return topic

    def topic_and_count(self):
        """(the topic, its published stories' count, their ids newest first or None) for ``kept_for_generation``,
        kept until its next scheduled story goes live: one query, which reads the topic's live links in the order of
        their index, from their copies of their story's state (migration 0017), without reading the stories (a 404
        is not kept). On PostgreSQL it brings the ids too (an ordered ARRAY), so that a page of the topic reads only
        its own rows, however many stories the topic holds; elsewhere the page reads the topic's links."""
        with_ids = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

        def build(now):
            links = TopicLink.objects.filter(topic_id=OuterRef("pk"))
            topic = Topic.objects.filter(slug=STAND_IN_SLUG).annotate(next_live=links.first_scheduled(now))
            if with_ids:  # their number is the count
                return topic.annotate(story_ids=ArraySubquery(links.live_ids(now)))
            return topic.annotate(live_count=links.live_count(now))

        # From the primary: a lagging replica's count would be kept for the whole generation.
        found = fetch_compiled(("topic", with_ids), build, DEFAULT_DB_ALIAS, {STAND_IN_SLUG: self.kwargs["slug"]})
        if not found:
            raise Http404(_("No topic found matching the query"))
        topic = found[0]
        ids = topic.story_ids if with_ids else None
        return (topic, len(ids) if with_ids else topic.live_count, ids), topic.next_live

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"], context["more_entries"] = self.newest_entries(self.object.pk)
        return context

    def newest_entries(self, topic_id):
        """The cards of the topic's newest experience entries, and whether it has more (``kept_entry_cards``: reading
        them goes through every link of the topic)."""
        return kept_entry_cards(
            ("topic entries",),
            f"topic-entries:{topic_id}",
            lambda: ExperienceEntry.objects.in_topic(STAND_IN_OBJECT),
            self.entries_shown,
            {STAND_IN_OBJECT: topic_id},
        )


def kept_entry_cards(key, name, entries, shown, values=None):
    """The cards of the ``shown`` newest listed entries of ``entries()`` (a queryset of ExperienceEntry, its
    stand-ins given in ``values``; built only when they are not kept), and whether there are more. Compiled once
    per process (``key``) and kept under the content generation (``name``) until the next scheduled roundup among
    them goes live: the same query tells when (without a listed entry, they are read every time)."""

    def build(now):
        chosen = entries()
        # One more than shown, to tell whether there are more.
        return (
            chosen.listed(now).annotate(next_live=chosen.first_scheduled(now)).for_listing().newest_first()[: shown + 1]
        )

    def compute():
        # From the primary: a lagging replica's entries would be kept for the whole generation.
        rows = fetch_compiled((*key, shown), build, DEFAULT_DB_ALIAS, values or {})
        value = (cards.entry_cards(rows[:shown]), len(rows) > shown)
        return value, (rows[0].next_live if rows else timezone.now())  # without a row: not kept

    return page_cache.kept_for_generation(f"{name}:{translation.get_language()}", compute, kept_in_process=True)


class ReporterDetailView(ArticlesOfView):
    """A reporter's profile and every published story bylined to them, with the role(s) they had in it."""

    model = Reporter

    def get_object(self):
        # Kept for the content generation, as ArticlesOfView's; a reporter without a published story is a 404 (not
        # kept: their first story going live at its scheduled time makes the page).
        def reporter():
            public = Reporter.objects.using(DEFAULT_DB_ALIAS).with_published_stories()
            return get_object_or_404(public, slug=self.kwargs["slug"]), None

        return page_cache.kept_for_generation(f"reporter:{self.kwargs['slug']}", reporter)

    def stories_of(self, reporter):
        return Article.objects.bylined(reporter)

    def compiled_list(self):
        """On PostgreSQL the page's ids come from the reporter's bylines, in the order of articles_byline_live_idx
        (their copies of the article's state, migration 0015): a page reads 20 index entries (and the skipped ones)
        whatever the archive holds. Walking the newest stories and looking each up in the bylines read the whole
        archive for a reporter whose stories are old (90 ms at 100,000 articles)."""
        if not connections[Article.objects.db].features.can_distinct_on_fields:
            return super().compiled_list()
        return (
            ("reporter bylines",),
            lambda now: (Byline.objects.live_ids_of(STAND_IN_OBJECT, now), Article.objects.for_cards()),
            {STAND_IN_OBJECT: self.object.pk},
        )

    def card_options(self):
        return {"reporter_id": self.object.pk}  # the role(s) they had, from the bylines loaded with the card


class OrganizationDetailView(ListView):
    """An organisation's experience entries across all articles and years, newest first.

    An organisation is public through its published entries only: without any, its page is 404.
    """

    template_name = "articles/organization_detail.html"
    context_object_name = "entries"
    paginate_by = 20
    paginator_class = CountedPagePaginator

    def get_queryset(self):
        name = f"organization:{self.kwargs['slug']}"
        self.organization, self.children = page_cache.kept_for_generation(name, self.organization_and_children)
        # Its entries come from the compiled query of get_paginator: this queryset names their database.
        return ExperienceEntry.objects.all()

    def organization_and_children(self):
        """(the organisation with its parent, its children with a public page) for ``kept_for_generation``: whether
        the parent and each child have a public page changes when an entry goes live, so they are kept until the
        next scheduled entry anywhere does (the organisation's query tells when). A 404 is not kept."""

        def organization(now):
            return (
                Organization.objects.for_detail(now)
                .filter(slug=STAND_IN_SLUG)
                .annotate(next_entry_live=ExperienceEntry.objects.first_scheduled(now))
            )

        # From the primary: a lagging replica's would be kept for the whole generation.
        found = fetch_compiled("organization", organization, DEFAULT_DB_ALIAS, {STAND_IN_SLUG: self.kwargs["slug"]})
        if not found:
            raise Http404(_("An organisation is public through its published experience entries only."))
        children = fetch_compiled(
            "organization children",
            lambda now: Organization.objects.filter(parent=STAND_IN_OBJECT).with_published_entries(now),
            DEFAULT_DB_ALIAS,
            {STAND_IN_OBJECT: found[0].pk},
        )
        return (found[0], children), found[0].next_entry_live

    @staticmethod
    def entries_of(organization, now=None):
        return ExperienceEntry.objects.listed(now).of_organization(organization).for_listing().newest_first()

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        paginator.compiled_list = (
            ("organization entries",),
            lambda now: self.entries_of(STAND_IN_OBJECT, now),
            {STAND_IN_OBJECT: self.organization.pk},
        )
        return paginator

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        if paginator.count == 0:
            raise Http404(_("An organisation is public through its published experience entries only."))
        return paginator, page, object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = cards.entry_cards(context["entries"])
        context["organization"], context["children"] = self.organization, self.children
        return context


def experience_filter_choices():
    """(organisations as (slug, name), years, when the next scheduled entry goes live or None) for the experience
    index's filters: one query (``Organization.objects.experience_filter_choices()``), kept under the current
    content generation until the next scheduled entry goes live, in the cache and in this process (the same list
    of organisations on every request: its options are prepared once, forms.LongChoices)."""

    def compute():
        # From the primary: a lagging replica's choices would be kept for the whole generation.
        found = Organization.objects.using(DEFAULT_DB_ALIAS).experience_filter_choices()
        if found is None:  # nothing listed yet: not kept (when the next scheduled entry goes live is not known)
            return ([], [], None), timezone.now()
        return found, found[2]

    return page_cache.kept_for_generation("experience-filters", compute, kept_in_process=True)


class ExperienceEntryListView(ListView):
    """Every published experience entry, newest first, filtered by level, form, year and organisation.

    Index-served at any depth: the page's ids come from ``articles_entry_live_idx`` (or, for one organisation,
    ``articles_entry_live_org_idx``) in the list's order (``SeekPaginator``), the list's length is kept in the cache
    per content generation and filters, the filters' organisations and years too (``experience_filter_choices``).
    """

    context_object_name = "entries"
    paginate_by = 20
    paginator_class = SeekPaginator

    def get(self, request, *args, **kwargs):
        organizations, years, _next = experience_filter_choices()
        self.form = ExperienceEntryFilterForm(request.GET, organizations=organizations, years=years)
        moved_to = self.renamed_organization()
        if moved_to is not None:
            # An old link to an organisation whose slug has changed since: to the same filters at its new slug, as
            # its page's old address leads to its page (follows_former_slugs); the other parameters are kept.
            params = request.GET.copy()
            params["organization"] = moved_to
            return HttpResponsePermanentRedirect(f"{request.path}?{params.urlencode()}")
        return super().get(request, *args, **kwargs)

    def renamed_organization(self):
        """The current slug of the organisation the filter names by a former slug (``FormerSlug``), when it is one
        of the filter's choices; else None. Looked up only for a value the form refused that is a slug at all: one
        query, and no stray string (a NUL byte) reaches the database."""
        if "organization" not in self.form.errors:
            return None
        slug = self.request.GET.get("organization", "")
        if len(slug) > FormerSlug._meta.get_field("slug").max_length or not slug_re.fullmatch(slug):
            return None
        current = FormerSlug.current_slug(Organization, slug)
        return current if current in self.form.fields["organization"].choices.values else None

    def get_queryset(self):
        filters = self.filters = self.form.filters()
        # Every filter's value is one of the form's choices: safe in a cache key.
        self.count_key = "experience:" + "&".join(f"{name}={value}" for name, value in sorted(filters.items()))
        self.count_source = partial(self.filtered, filters)
        # The page's rows come from its compiled query (get_paginator): this queryset names their database.
        return ExperienceEntry.objects.all()

    @staticmethod
    def filtered(filters):
        entries = ExperienceEntry.objects.all()
        if "level" in filters:
            entries = entries.of_level(filters["level"])
        if "form" in filters:
            entries = entries.in_form(filters["form"])
        if "year" in filters:
            entries = entries.in_year(filters["year"])
        if "organization" in filters:
            entries = entries.of_organization_slug(filters["organization"])
        return entries

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        paginator.count_key, paginator.count_source = self.count_key, self.count_source
        # The page's query compiled once per process and set of filters; the organisation's slug is a value.
        shape = {name: value for name, value in self.filters.items() if name != "organization"}
        values = {}
        if "organization" in self.filters:
            shape["organization"], values[STAND_IN_SLUG] = STAND_IN_SLUG, self.filters["organization"]

        def build(now):
            listed = self.filtered(shape).listed(now)
            return listed, listed.for_listing().newest_first()

        paginator.compiled_list = (("experience", *sorted(shape.items())), build, values)
        return paginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, **kwargs)
        context["entries"] = cards.entry_cards(context["entries"])
        # A filtered page is named by its filters, and its canonical address keeps them, in the form's order
        # (articles/templatetags canonical_url).
        context["filters_text"] = " · ".join(self.form.applied_labels())
        context["canonical_params"] = self.filters
        return context


def dates_with_stories(kind, ordering="DESC", **period_lookup):
    """The years, months or days (``kind``; as aware datetimes in newsroom time, ``ordering`` ASC or DESC) with a
    published story, within ``period_lookup`` (filters on ``published_at``; none for the whole archive). Reading them
    is a query over every story of the period (the whole archive: 27 ms at 100,000 articles), so they are kept under
    the content generation, in the cache and in this process, until the period's next scheduled story goes live: the
    same query tells when (each date's first moment, scheduled stories included), so keeping them costs no query of
    its own."""
    period = ":".join(f"{name}={value.isoformat()}" for name, value in sorted(period_lookup.items()))

    def compute():
        # From the primary: a lagging replica's dates would be kept for the whole generation.
        stories = Article.objects.using(DEFAULT_DB_ALIAS).live_or_scheduled().filter(**period_lookup)
        moment = Trunc("published_at", kind, output_field=DateTimeField(), tzinfo=timezone.get_current_timezone())
        rows = (
            stories.order_by()
            .values(moment=moment)
            .annotate(first=Min("published_at"))
            .order_by("-moment" if ordering == "DESC" else "moment")
        )
        now = timezone.now()
        dates = [row["moment"] for row in rows if row["first"] <= now]
        return dates, min((row["first"] for row in rows if row["first"] > now), default=None)

    return page_cache.kept_for_generation(f"dates:{kind}:{ordering}:{period}", compute, kept_in_process=True)


def search_filter_years():
    """The years with a published story, newest first, for the search page's filter (``dates_with_stories``)."""
    return [moment.year for moment in dates_with_stories("year")]


def matched_line(text, query):
    """``text`` highlighted (safe HTML) when a word of the query is found in it, else the empty string."""
    marked = search.highlight(text, query) if text else ""
    return marked if "<mark>" in marked else ""


class SearchView(ListView):
    """/search/?q=: published articles and experience entries, best matches first, highlighted, filterable.

    Any query is safe (articles/search.py cleans it); an empty one shows the form and tips. A fixed number of
    queries: the filters' sections and years, the search (services.search_documents) and the page's documents.
    """

    template_name = "articles/search.html"
    context_object_name = "results"
    paginate_by = 20

    class OtherPage(Exception):
        """The page asked for has no results (a link to page 3 kept while the results shrank; page=0 or abc)."""

        def __init__(self, number):
            self.number = number

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except self.OtherPage as other:
            # To the last page there is (or the first), rather than the site's 404 saying the page may not be
            # published yet.
            params = request.GET.copy()
            params.pop("page", None)
            if other.number > 1:
                params["page"] = other.number
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")

    def paginate_queryset(self, queryset, page_size):
        try:
            return super().paginate_queryset(queryset, page_size)
        except Http404:
            paginator = self.get_paginator(queryset, page_size)
            asked = self.request.GET.get("page", "")
            # isdecimal, not isdigit: ① and ² are digits that int() refuses (a 500).
            raise self.OtherPage(paginator.num_pages if asked.isdecimal() and int(asked) > 1 else 1) from None

    def get_queryset(self):
        sections = menu.menu_sections()  # the header's sections, kept per process
        self.form = SearchFilterForm(
            self.request.GET,
            sections=[(section.slug, section.name) for section in sections],
            years=search_filter_years(),
        )
        filters = self.form.filters()
        # The page's canonical address keeps what makes it this page (articles/templatetags canonical_url).
        self.canonical_params = {"q": self.request.GET.get("q", "").strip(), **filters}
        section_ids = {section.slug: section.pk for section in sections}
        self.search = services.search_documents(
            self.request.GET.get("q", ""),
            section=section_ids.get(filters.get("section")),
            year=filters.get("year"),
            kind=filters.get("kind"),
        )
        return self.search.results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.search.query
        context["results"] = services.load_search_page(context["results"])  # only the shown page, highlighted
        for result in context["results"]:
            document = result.document
            # The kicker and deck rank with the headline: shown when a word was found there, so that the reader
            # sees why a story whose headline lacks it comes first.
            kicker = deck = ""
            if not document["entry_id"]:
                kicker, deck = matched_line(document["kicker"], query), matched_line(document["subtitle"], query)
            result.html = cards.search_result_html(
                document,
                search.highlight(document["heading"], query),
                services.search_result_snippet(document, result.hit, query),
                kicker,
                deck,
            )
        context.update(
            form=self.form,
            query=query,
            capped=self.search.capped,
            canonical_params=self.canonical_params,
            max_words=search.MAX_TERMS,
        )
        return context


def follows_former_slugs(model):
    """Wrap the view of a page (or feed) found by ``model``'s slug: an address that no longer finds one, because its
    slug was changed since, leads for good (301) to the same page at the new slug, query string kept; a link
    shared or a feed subscribed to before the change answered 404."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, slug, **kwargs):
            try:
                return view(request, *args, slug=slug, **kwargs)
            except Http404:
                current = FormerSlug.current_slug(model, slug)
                if current is None or current == slug:
                    raise
            # Only to a page there is (its first page): a reporter with nothing published is a 404 at her new
            # address too, and the redirect would give that address away.
            probe = copy.copy(request)
            probe.GET = QueryDict()
            view(probe, *args, slug=current, **kwargs)
            url = reverse(request.resolver_match.view_name, args=args, kwargs={**kwargs, "slug": current})
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

        return wrapped

    return decorate


def print_issue_latest(request):
    """/print/: the issue of the date picked with the date form (?date=yyyy-mm-dd), or else the latest issue. The
    paper does not come out every day: a date without an issue leads to the last issue before it (or, before the
    first issue, to the first), whose page shows its own date; a date that cannot be read, to the latest issue,
    whose page says so."""
    form = PrintIssueForm(request.GET)
    issues = Article.objects.published().print_out().values_list("print_issue_on", flat=True)
    if form.is_valid():
        picked = form.cleaned_data["date"]
        issue_on = (
            issues.filter(print_issue_on__lte=picked).order_by("-print_issue_on").first()
            or issues.filter(print_issue_on__gt=picked).order_by("print_issue_on").first()
        )
    else:
        issue_on = issues.order_by("-print_issue_on").first()
    if issue_on is None:
        raise Http404(_("Nothing from the print edition has been published yet."))
    url = reverse("articles:print_issue", kwargs={"issue_on": issue_on})
    if form.is_valid() and issue_on != form.cleaned_data["date"]:  # the issue's page says the day had none
        url += "?" + urlencode({"picked": form.cleaned_data["date"].isoformat()})
    elif not form.is_valid() and request.GET.get("date", "").strip():  # and that it could not read the date
        url += "?" + urlencode({"picked": UNREADABLE_DATE})
    return HttpResponseRedirect(url)


# ``?picked=`` of an issue's page reached with a date the form could not read (the latest issue, said so). The
# typed text itself is never shown back: anyone could make a link that prints a sentence of their own on our page.
UNREADABLE_DATE = "unreadable"


def _other_day(value, issue_on, previous_on, next_on):
    """The day a reader picked with the date form (``?picked=``), when it had no issue and led to this one: between
    this issue and its next (or previous) one, or past the last (or before the first); else None (the address was
    shared, or edited, and another issue is that day's or nearer to it)."""
    try:
        picked = datetime.date.fromisoformat(value or "")
    except ValueError:
        return None
    if issue_on < picked and (next_on is None or picked < next_on):
        return picked
    if picked < issue_on and (previous_on is None or previous_on < picked):
        return picked
    return None


def print_page_order(row):
    """Where a story's page comes in its issue: the front page by name (头版), then numbered pages (A01, A02 …
    B01), then pages named otherwise, and last the stories given a date but no page (未标版次); within a page in the
    order they went live."""
    number = row["print_page_number"]
    if number in services.FRONT_PAGE_NAMES:
        rank = 0
    elif services.is_numbered_page(number):
        rank = 1
    else:
        rank = 2 if number else 3
    return (rank, number, row["published_at"], row["id"])


class PrintIssueView(ListView):
    """One print issue: its pages in page order with the published articles on each; previous and next issue."""

    template_name = "articles/print_issue.html"
    context_object_name = "articles"
    allow_empty = False  # a date with no published article from the paper is 404

    def get_queryset(self):
        return Article.objects.published().print_out().in_print_issue(self.kwargs["issue_on"]).for_print_issue()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        issue_on = self.kwargs["issue_on"]
        pages = []
        rows = sorted(context["articles"], key=print_page_order)
        for number, group in itertools.groupby(rows, key=lambda row: row["print_page_number"]):
            rows = list(group)
            name = next((row["print_page_name"] for row in rows if row["print_page_name"]), "")
            title = print_page_title(number, name) if number else " ".join(filter(None, [_("Unnumbered page"), name]))
            pages.append(
                {
                    "number": number,
                    "name": name,
                    "title": title,  # the page's heading and its link in the list of pages alike
                    "anchor": print_page_anchor(number) or "page-unnumbered",
                    "articles": cards.article_cards(rows),
                }
            )
        context["issue_on"] = issue_on
        context["pages"] = pages
        context.update(Article.objects.published().print_out().print_issue_neighbours(issue_on))
        picked = self.request.GET.get("picked")
        context["picked_on"] = _other_day(picked, issue_on, context["previous_issue_on"], context["next_issue_on"])
        context["picked_unreadable"] = picked == UNREADABLE_DATE and context["next_issue_on"] is None
        # A day still to come (its issue may be laid out already): not out yet, rather than "the paper did not
        # come out".
        context["picked_not_out"] = context["picked_on"] is not None and context["picked_on"] > timezone.localdate()
        context["form"] = PrintIssueForm(initial={"date": issue_on})
        return context


class ArticleArchiveMixin:
    """The date archive: published articles by Beijing date (USE_TZ with TIME_ZONE = Asia/Shanghai).

    A fixed number of queries: the period's count and its neighbouring periods (previous and next day, month or
    year with a story) come in one query, which also tells an empty period (404) without a query of its own; then
    the list of dates, then the page's cards.
    """

    date_field = "published_at"
    allow_future = False
    paginate_by = 20
    paginator_class = SeekPaginator
    context_object_name = "articles"
    template_name = "articles/article_archive.html"
    month_format = "%m"
    day_format = "%d"
    neighbour_periods = ()  # the periods whose previous and next the page links to
    known_count = None

    def get_queryset(self):
        # Plain published articles: the lists of dates use this queryset too.
        return Article.objects.published().defer("body")

    period_lookup = {}  # the period's filter (``get_dated_queryset``), for its list of dates

    def get_dated_queryset(self, **lookup):
        """The period's articles; with its count and neighbours loaded (one query), 404 when it has none."""
        self.period_lookup = lookup
        articles = self.get_queryset().filter(**lookup)
        since = lookup[f"{self.date_field}__gte"]
        day = timezone.localtime(since).date() if timezone.is_aware(since) else since.date()
        published = Article.objects.published().order_by()
        neighbours = {}
        for period in self.neighbour_periods:
            start = self._make_date_lookup_arg(getattr(self, f"_get_current_{period}")(day))
            end = self._make_date_lookup_arg(getattr(self, f"_get_next_{period}")(day))
            before = published.filter(published_at__lt=start).order_by("-published_at").values("published_at")[:1]
            after = published.filter(published_at__gte=end).order_by("published_at").values("published_at")[:1]
            neighbours[f"previous_{period}"] = Max(Subquery(before))  # one value: MAX over the period's rows
            neighbours[f"next_{period}"] = Max(Subquery(after))
        found = articles.order_by().aggregate(count=Count("pk"), **neighbours)
        if not found["count"]:
            raise Http404(
                _("No %(verbose_name_plural)s available") % {"verbose_name_plural": Article._meta.verbose_name_plural}
            )
        self.known_count = found.pop("count")
        self.neighbours = found
        return articles

    def _neighbour(self, name, period):
        moment = self.neighbours.get(name)
        if moment is None:
            return None
        return getattr(self, f"_get_current_{period}")(timezone.localtime(moment).date())

    def get_previous_day(self, date):
        return self._neighbour("previous_day", "day")

    def get_next_day(self, date):
        return self._neighbour("next_day", "day")

    def get_previous_month(self, date):
        return self._neighbour("previous_month", "month")

    def get_next_month(self, date):
        return self._neighbour("next_month", "month")

    def get_previous_year(self, date):
        return self._neighbour("previous_year", "year")

    def get_next_year(self, date):
        return self._neighbour("next_year", "year")

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        if self.known_count is not None:
            paginator.__dict__["count"] = self.known_count  # the cached_property's value
        return paginator

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        """The period's years, months or days with a story (``dates_with_stories``: kept, not read every time)."""
        dates = dates_with_stories(date_type or self.get_date_list_period(), ordering, **self.period_lookup)
        if not dates and not self.get_allow_empty():
            raise Http404(
                _("No %(verbose_name_plural)s available") % {"verbose_name_plural": Article._meta.verbose_name_plural}
            )
        return dates

    def get_dated_items(self):
        date_list, articles, extra_context = super().get_dated_items()
        return date_list, articles.for_cards(), extra_context

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["articles"] = cards.article_cards(context["articles"])
        return context


class ArticleArchiveIndexView(ArticleArchiveMixin, ArchiveIndexView):
    def get_dated_queryset(self, **lookup):
        return self.get_queryset()  # every published story: their number is the latest list's (cached)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        paginator.count_key, paginator.count_source = ArticleListView.count_key, Article.objects.all
        return paginator

    def get_dated_items(self):
        date_list, articles, extra_context = super().get_dated_items()
        if not date_list:
            raise Http404(_("Nothing has been published yet."))
        return date_list, articles, extra_context


class ArticleYearArchiveView(ArticleArchiveMixin, YearArchiveView):
    make_object_list = True
    neighbour_periods = ("year",)


class ArticleMonthArchiveView(ArticleArchiveMixin, MonthArchiveView):
    neighbour_periods = ("month",)


class ArticleDayArchiveView(ArticleArchiveMixin, DayArchiveView):
    neighbour_periods = ("day", "month")


@require_POST
@login_required(login_url=reverse_lazy("admin:login"))
def editor_image_upload(request):
    """CKEditor 5's simple-upload endpoint: checks the file, stores it as a Photo, answers with its URL."""
    if not (request.user.is_staff and request.user.has_perm("articles.add_photo")):
        raise PermissionDenied
    # From an article's form the editor names the article (?article=<id>): only someone who may edit it uploads.
    article_id = request.GET.get("article") or request.POST.get("article")
    if article_id:
        article = (
            Article.objects.filter(pk=article_id).first() if article_id.isascii() and article_id.isdigit() else None
        )
        if article is None or not services.may_edit_article(request.user, article):
            raise PermissionDenied
    upload = request.FILES.get("upload")
    if upload is None:
        return JsonResponse({"error": {"message": _("No file was sent.")}}, status=400)
    alt_text = services.clean_text(request.POST.get("alt", "")).strip() or _(services.BODY_PHOTO_STAND_IN)
    try:
        photo = services.create_photo(upload, alt_text=alt_text, user=request.user)
    except ValidationError as error:
        return JsonResponse({"error": {"message": " ".join(error.messages)}}, status=400)
    return JsonResponse({"url": photo.image.url, "id": photo.pk, "width": photo.width, "height": photo.height})


class FeedListView(TemplateView):
    """/feeds/: how to follow the site in a feed reader, with the address of each feed to copy into one (a feed
    opened in a phone's browser is a page of code). The footer links here; no query beyond the kept menu."""

    template_name = "articles/feed_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        absolute = self.request.build_absolute_uri
        context["latest_feeds"] = (absolute(reverse("feeds:latest_rss")), absolute(reverse("feeds:latest_atom")))
        context["section_feeds"] = [
            (section.name, absolute(reverse("feeds:section_rss", args=[section.slug])))
            for section in menu.menu_sections()
        ]
        return context
