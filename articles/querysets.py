"""QuerySets of the newsroom's models: filters (what may be shown or edited) and shapes for pages.

"Published" is defined once, in PublishableQuerySet.published(); every public path starts from it.
"""

import contextlib
import copy
import datetime
import json
import re
import threading

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Lookup,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Collate, ExtractYear, JSONObject, RowNumber
from django.db.models.query import ModelIterable, get_related_populators
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

_models = {}


def model(name):
    """The articles app's model ``name`` (looked up once: the JSON parts ask for one per row)."""
    found = _models.get(name)
    if found is None:
        found = _models[name] = apps.get_model("articles", name)
    return found


def edits_any_article(user):
    return user.is_superuser or user.has_perm("articles.edit_any_article")


PINYIN_COLLATION = "zh-x-icu"  # ICU's Chinese collation: Han characters in pinyin order


def in_pinyin_order(field, using):
    """``field`` (a text column) as an expression that orders in pinyin, as a Chinese reader looks a name up:
    安徽 before 北京 before 重庆 (code points put 北 first). On PostgreSQL, whose server must be built with ICU
    (Debian's, the official image's and the managed services' are; ``checks.pinyin_collation`` says when it is
    not); elsewhere (SQLite, the local default) the column itself, in code-point order."""
    if connections[using].vendor == "postgresql":
        return Collate(field, PINYIN_COLLATION)
    return F(field)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class Constant(models.Expression):
    """A constant of this code (a status, a flag) written into the SQL instead of bound as a value.

    A prepared statement's generic plan (settings: NEWSROOM_DB_PREPARED_STATEMENTS) cannot use a partial index
    whose condition compares a column with a bound value (``status = $2``); with ``status = 'published'`` in the
    text it can, as every plan can. Only fixed words and booleans: never a value that came from outside."""

    _WORD = re.compile(r"[a-z_]+")

    def __init__(self, value, output_field):
        if not (isinstance(value, bool) or (isinstance(value, str) and self._WORD.fullmatch(value))):
            raise ValueError(f"not a constant that can be written into SQL: {value!r}")
        super().__init__(output_field=output_field)
        self.value = value

    def as_sql(self, compiler, connection):
        if isinstance(self.value, bool):
            return ("TRUE" if self.value else "FALSE"), []
        return f"'{self.value}'", []


PUBLISHED = Constant(Status.PUBLISHED.value, models.CharField())


@models.BigAutoField.register_lookup
@models.ForeignKey.register_lookup
class Among(Lookup):
    """``pk__among=subquery``: the rows whose id the subquery lists, the subquery read first and on its own.

    For a many-to-many link (an article's topics), ``pk__in=subquery`` lets PostgreSQL walk the newest stories by
    time and look each one up in the links until it has a page: fast when the topic's stories are among the
    newest, but through the whole archive when they are old (76 ms for a topic page at 100,000 articles, and
    for every article page in that topic: its related stories). On PostgreSQL this is ``id = ANY(ARRAY(subquery))``:
    the links are read first through their own index, then the stories by primary key, so the cost follows the
    size of the topic, never that of the archive. Elsewhere a plain ``IN``."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


class PublishableQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(status=PUBLISHED, published_at__lte=now or timezone.now())

    def scheduled(self):
        return self.filter(status=PUBLISHED, published_at__gt=timezone.now())

    def live_or_scheduled(self):
        """Published now or at a set time: ``published()`` without its condition on the time."""
        return self.filter(status=PUBLISHED)

    def count_and_next(self):
        """(how many are published now, when the next scheduled one goes live or None), in one query over
        ``live_or_scheduled()`` rows: a cached count stays right until that moment (see views.SeekPaginator)."""
        found = self.live_or_scheduled().aggregate(**_count_and_next_aggregates(timezone.now(), "published_at"))
        return found["live"], found["next"]


def _count_and_next_aggregates(now, field, counted="pk"):
    """How many of the rows are live at ``now``, and the first later moment of ``field`` (their time); the rows are
    counted by their column ``counted`` (never null; one their index holds lets them be counted from it alone)."""
    return {
        "live": Count(counted, filter=Q(**{f"{field}__lte": now})),
        "next": Min(field, filter=Q(**{f"{field}__gt": now})),
    }


class CopiedStateQuerySet(models.QuerySet):
    """Rows that carry copies of their article's state, kept by database triggers (experience entries, migration
    0013; topic links, 0017): ``article_live`` (published, not in the trash) and ``article_published_at``. Their
    own indexes then serve lists in order without reading the articles."""

    counted = "pk"  # the column rows are counted by (``count_and_next``, ``live_count``)

    def listed(self, now=None):
        """The rows of articles published at ``now``: ``Article.objects.published()``, read from the copies."""
        return self.live_or_scheduled().filter(article_published_at__lte=now or timezone.now())

    def live_or_scheduled(self):
        """``listed()`` without its condition on the time."""
        return self.filter(article_live=Constant(True, models.BooleanField()))

    def count_and_next(self):
        """(how many are listed now, when the next scheduled one goes live or None), in one query over
        ``live_or_scheduled()`` rows, for a cached count (views.SeekPaginator)."""
        aggregates = _count_and_next_aggregates(timezone.now(), "article_published_at", self.counted)
        found = self.live_or_scheduled().aggregate(**aggregates)
        return found["live"], found["next"]

    def live_count(self, now):
        """How many of these rows are listed at ``now``, as a subquery for an annotation."""
        rows = self.listed(now).order_by().annotate(_all=Value(1)).values("_all")
        return Subquery(rows.annotate(n=Count(self.counted)).values("n"), output_field=models.IntegerField())

    def first_scheduled(self, now):
        """When the first of these rows still scheduled at ``now`` goes live, as a subquery (None without one):
        until then, what lists them stays right. The first entry of their index from ``now`` on."""
        scheduled = self.live_or_scheduled().filter(article_published_at__gt=now).order_by("article_published_at")
        return Subquery(scheduled.values("article_published_at")[:1], output_field=models.DateTimeField())


class TopicLinkQuerySet(CopiedStateQuerySet):
    counted = "article_id"  # in articles_topic_link_live_idx, which the links' own id is not

    def live_ids(self, now):
        """The linked stories published at ``now``, newest first: their ids in the order of
        ``articles_topic_link_live_idx`` (an index-only scan for one topic)."""
        return self.listed(now).order_by("-article_published_at", "-article_id").values("article_id")


class PhotoQuerySet(models.QuerySet):
    def usable_by(self, user):
        """Photos a user may pick for a story: all for editors; for a reporter their own uploads, their stories'
        photos and the library of photos already published (never another reporter's unpublished photo)."""
        if edits_any_article(user):
            return self.all()
        articles = model("Article").objects.editable_by(user).values("pk")
        public = model("Article").objects.published().values("pk")
        return self.filter(
            Q(uploaded_by=user)
            | Q(lead_articles__in=articles)
            | Q(article_photos__article__in=articles)
            | Q(experience_entries__article__in=articles)
            | Q(lead_articles__in=public)
            | Q(article_photos__article__in=public)
            | Q(experience_entries__article__in=public)
        ).distinct()

    def editable_by(self, user):
        """Photos a user may replace or delete: all for editors; a reporter's own uploads while no story shows them
        beyond its draft (submitted, signed off, scheduled or published), in any way: as its lead photo, one of its
        photos or an entry's, or in its text or an entry's (put there with CKEditor). Replacing the file would
        change what the desk checked, or a live page, without review."""
        if edits_any_article(user):
            return self.all()
        beyond_draft = model("Article").objects.exclude(status=Status.DRAFT)
        in_text = Exists(beyond_draft.filter(body__contains=OuterRef("image"))) | Exists(
            model("ExperienceEntry").objects.filter(article__in=beyond_draft, body__contains=OuterRef("image"))
        )
        return (
            self.filter(uploaded_by=user)
            .exclude(
                Q(lead_articles__in=beyond_draft)
                | Q(article_photos__article__in=beyond_draft)
                | Q(experience_entries__article__in=beyond_draft)
            )
            .exclude(in_text)
        )


# --- An article's small parts in its own row ---------------------------------------------------------
# Bylines, topics, corrections and captioned photos are few per article. Instead of one prefetch query each, they
# come as JSON arrays in the article's row (a correlated subquery per part, served by the foreign-key indexes), and
# are turned into the same model instances a prefetch gives, in the same prefetch cache: ``article.bylines.all()``
# and friends read them without a query, in templates, tags and feeds alike.


class JSONRows(Aggregate):
    """The rows of a group as a JSON array (``JSON_GROUP_ARRAY`` on SQLite, ``JSON_AGG`` on PostgreSQL, read as its
    text). PostgreSQL's ``json`` rather than ``jsonb``: the page reads the rows once, by key, and a ``jsonb`` value
    costs the server its binary form and then its text (the article page's query, measured with pgbench at 4
    clients on two cores: 5,898 a second, 7,672-7,956 with ``json``)."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, function="JSON_AGG", **extra_context)
        return f"({sql})::text", params


class JSONRow(JSONObject):
    """A row as a JSON object for JSONRows (``JSON_OBJECT`` on SQLite, ``JSON_BUILD_OBJECT`` on PostgreSQL: ``json``
    as JSONRows explains); its keys cast to text as Django's JSONObject casts them."""

    def as_postgresql(self, compiler, connection, **extra_context):
        row = self.copy()
        row.set_source_expressions(
            [
                Cast(expression, models.TextField()) if index % 2 == 0 else expression
                for index, expression in enumerate(row.get_source_expressions())
            ]
        )
        return Func.as_sql(row, compiler, connection, function="JSON_BUILD_OBJECT", **extra_context)


_OUTER_ID = -918273645  # stands for the outer article's id while a part's SQL is compiled
_OUTER_MARK = "\x00outer-article\x00"
_compiled_parts = {}


class JSONPart(models.Expression):
    """One of JSON_PARTS for the outer article (its rows as a JSON array, JSONRows), compiled once per database
    vendor and process.

    Building and compiling four JSON subqueries of a dozen expressions each was a large part of a page's time;
    their SQL does not change, only the outer article's column (its alias depends on the outer query) is put in.
    """

    output_field = models.JSONField()

    def __init__(self, name, outer=None):
        super().__init__()
        self.name = name
        self.outer = outer if outer is not None else F("pk")

    def get_source_expressions(self):
        return [self.outer]

    def set_source_expressions(self, exprs):
        (self.outer,) = exprs

    def _inner(self, connection):
        key = (connection.vendor, connection.alias, self.name)
        compiled = _compiled_parts.get(key)
        if compiled is None:
            _cache_name, model_name, fields, _build = JSON_PARTS[self.name]
            rows = (
                _part_queryset(model_name)
                .filter(article_id=_OUTER_ID)
                .order_by()
                .values("article")
                .annotate(rows=JSONRows(JSONRow(**{name: F(path) for name, path in fields.items()})))
                .values("rows")
            )
            sql, params = rows.query.get_compiler(connection=connection).as_sql()
            at = list(params).index(_OUTER_ID)
            pieces = sql.split("%s")
            sql = "%s".join(pieces[: at + 1]) + _OUTER_MARK + "%s".join(pieces[at + 1 :])
            compiled = _compiled_parts[key] = (f"({sql})", (*params[:at], *params[at + 1 :]), at)
        return compiled

    def as_sql(self, compiler, connection):
        sql, params, at = self._inner(connection)
        outer_sql, outer_params = compiler.compile(self.outer)
        return sql.replace(_OUTER_MARK, outer_sql), [*params[:at], *outer_params, *params[at:]]


def _nested(value):
    """A JSON field inside a JSON object: already data on PostgreSQL, a string of JSON on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def _moment(value):
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


_blank_instances = {}  # model: (the attributes of ``model()``, the names among them holding a list or dict)


def _part(model_name, db, related=None, **values):
    """What ``model(model_name)(**values)`` gives (every other field at its default), read from the database ``db``,
    for the rows of JSON parts: the attributes of a blank instance, made once per process, and ``values`` (attribute
    names) copied in, without running ``Model.__init__`` for each row (its loop over every field and its signals were
    most of the cost). ``related`` ({relation: object or None}) fills forward relations whose ids are among
    ``values``, as assigning them would, without the descriptor's checks for each row."""
    model_class = model(model_name)
    blank = _blank_instances.get(model_class)
    if blank is None:
        attributes = {name: value for name, value in model_class().__dict__.items() if name != "_state"}
        blank = _blank_instances[model_class] = (
            attributes,
            [name for name, value in attributes.items() if isinstance(value, (list, dict))],
        )
    attributes, mutable = blank
    instance = model_class.__new__(model_class)
    instance.__dict__.update(attributes)
    for name in mutable:  # a default list or dict of its own, as __init__ gives
        instance.__dict__[name] = copy.copy(attributes[name])
    instance.__dict__.update(values)
    state = instance._state = models.base.ModelState()
    state.db = db
    state.adding = False
    if related:
        state.fields_cache = related
    return instance


def _build_bylines(rows, db):
    bylines = []
    for row in sorted(rows, key=lambda r: (r["order"], r["id"])):
        reporter = _part("Reporter", db, id=row["reporter_id"], name=row["reporter_name"], slug=row["reporter_slug"])
        role = _part("BylineRole", db, id=row["role_id"], name=row["role_name"], order=row["role_order"])
        byline = _part(
            "Byline",
            db,
            {"reporter": reporter, "role": role},
            id=row["id"],
            article_id=row["article_id"],
            reporter_id=row["reporter_id"],
            role_id=row["role_id"],
            order=row["order"],
            printed_name=row["printed_name"],
        )
        bylines.append(byline)
    return bylines


def _build_topics(rows, db):
    topics = [_part("Topic", db, id=row["id"], title=row["title"], slug=row["slug"]) for row in rows]
    return sorted(topics, key=lambda topic: (topic.title, topic.id))


def _build_corrections(rows, db):
    corrections = [
        _part(
            "Correction",
            db,
            id=row["id"],
            article_id=row["article_id"],
            kind=row["kind"],
            text=row["text"],
            noted_at=_moment(row["noted_at"]),
        )
        for row in rows
    ]
    return sorted(corrections, key=lambda correction: (correction.noted_at, correction.id))


def _build_article_photos(rows, db):
    items = []
    for row in sorted(rows, key=lambda r: (r["order"], r["id"])):
        photo = _photo_from_row(row, db, prefix="", id_key="photo_id")
        item = _part(
            "ArticlePhoto",
            db,
            {"photo": photo} if photo is not None else None,
            id=row["id"],
            article_id=row["article_id"],
            photo_id=row["photo_id"],
            caption=row["caption"],
            order=row["order"],
        )
        items.append(item)
    return items


def _photo_from_row(row, db, prefix="photo_", id_key=None):
    """The Photo (with its credited reporter) of a JSON row's ``photo_*`` fields (or unprefixed ones, the id under
    ``id_key``), or None."""
    photo_id = row[id_key or f"{prefix}id"]
    if photo_id is None:
        return None
    credit_reporter_id = row[f"{prefix}credit_reporter_id"]
    credited = None
    if credit_reporter_id is not None:
        credited = {"credit_reporter": _part("Reporter", db, id=credit_reporter_id, name=row[f"{prefix}credit_name"])}
    return _part(
        "Photo",
        db,
        credited,
        id=photo_id,
        image=row[f"{prefix}image"],
        width=row[f"{prefix}width"],
        height=row[f"{prefix}height"],
        alt_text=row[f"{prefix}alt_text"],
        credit_text=row[f"{prefix}credit_text"],
        credit_reporter_id=credit_reporter_id,
        printed_credits=_nested(row[f"{prefix}printed_credits"]) or {},
        rendition_set=_nested(row[f"{prefix}rendition_set"]) or [],
    )


def _build_entries(rows, db):
    """Experience entries with their organisation and photo, the oral ones first, then in the editor's order."""
    oral = model("ExperienceEntry").Form.ORAL
    entries = []
    for row in sorted(rows, key=lambda r: (r["form"] != oral, r["order"], r["id"])):
        organization = _part(
            "Organization",
            db,
            id=row["organization_id"],
            name=row["organization_name"],
            short_name=row["organization_short_name"],
            slug=row["organization_slug"],
            level=row["organization_level"],
            parent_id=row["organization_parent_id"],
        )
        entry = _part(
            "ExperienceEntry",
            db,
            {"organization": organization, "photo": _photo_from_row(row, db)},
            id=row["id"],
            article_id=row["article_id"],
            organization_id=row["organization_id"],
            title=row["title"],
            highlight=row["highlight"],
            body=row["body"],
            photo_id=row["photo_id"],
            caption=row["caption"],
            form=row["form"],
            order=row["order"],
            printed_name=row["printed_name"],
        )
        entries.append(entry)
    return entries


def _build_entry_photos(rows, db):
    """Experience entries with their form, order and photo only (``entry_photos_json``: what
    newsroom_tags.shared_photo reads of them), in the page's order as ``_build_entries`` puts them."""
    oral = model("ExperienceEntry").Form.ORAL
    return [
        _part(
            "ExperienceEntry",
            db,
            {"photo": _photo_from_row(row, db)},
            id=row["id"],
            article_id=row["article_id"],
            photo_id=row["photo_id"],
            form=row["form"],
            order=row["order"],
        )
        for row in sorted(rows, key=lambda r: (r["form"] != oral, r["order"], r["id"]))
    ]


PHOTO_FIELDS = {
    "photo_id": "photo_id",
    "photo_image": "photo__image",
    "photo_width": "photo__width",
    "photo_height": "photo__height",
    "photo_alt_text": "photo__alt_text",
    "photo_credit_text": "photo__credit_text",
    "photo_credit_reporter_id": "photo__credit_reporter_id",
    "photo_credit_name": "photo__credit_reporter__name",
    "photo_printed_credits": "photo__printed_credits",
    "photo_rendition_set": "photo__rendition_set",
}
ENTRY_FIELDS = {
    "id": "id",
    "article_id": "article_id",
    "organization_id": "organization_id",
    "title": "title",
    "highlight": "highlight",
    "body": "body",
    "caption": "caption",
    "form": "form",
    "order": "order",
    "printed_name": "printed_name",
    "organization_name": "organization__name",
    "organization_short_name": "organization__short_name",
    "organization_slug": "organization__slug",
    "organization_level": "organization__level",
    "organization_parent_id": "organization__parent_id",
    **PHOTO_FIELDS,
}
BYLINE_FIELDS = {
    "id": "id",
    "article_id": "article_id",
    "order": "order",
    "reporter_id": "reporter_id",
    "reporter_name": "reporter__name",
    "reporter_slug": "reporter__slug",
    "role_id": "role_id",
    "role_name": "role__name",
    "role_order": "role__order",
    "printed_name": "printed_name",
}
JSON_PARTS = {
    # attribute in the article's row: (relation's prefetch cache name, fields, builder)
    "bylines_json": ("bylines", "Byline", BYLINE_FIELDS, _build_bylines),
    "topics_json": (
        "topics",
        "Topic",
        {"id": "topic_id", "title": "topic__title", "slug": "topic__slug"},
        _build_topics,
    ),
    "corrections_json": (
        "corrections",
        "Correction",
        {"id": "id", "article_id": "article_id", "kind": "kind", "text": "text", "noted_at": "noted_at"},
        _build_corrections,
    ),
    "photos_json": (
        "article_photos",
        "ArticlePhoto",
        {
            "id": "id",
            "article_id": "article_id",
            "order": "order",
            "caption": "caption",
            "photo_id": "photo_id",
            "image": "photo__image",
            "width": "photo__width",
            "height": "photo__height",
            "alt_text": "photo__alt_text",
            "credit_text": "photo__credit_text",
            "credit_reporter_id": "photo__credit_reporter_id",
            "credit_name": "photo__credit_reporter__name",
            "printed_credits": "photo__printed_credits",
            "rendition_set": "photo__rendition_set",
        },
        _build_article_photos,
    ),
    "entries_json": ("experience_entries", "ExperienceEntry", ENTRY_FIELDS, _build_entries),
    # The entries' photos alone, without their text (the feeds' shared photo: ArticleQuerySet.for_feed).
    "entry_photos_json": (
        "experience_entries",
        "ExperienceEntry",
        {"id": "id", "article_id": "article_id", "form": "form", "order": "order", **PHOTO_FIELDS},
        _build_entry_photos,
    ),
}


def _part_queryset(model_name):
    if model_name == "Topic":  # through the many-to-many table
        return model("Article").topics.through.objects.all()
    return model(model_name).objects.all()


def attach_json_parts(articles, names):
    """Turn the JSON columns ``names`` of each article into its prefetched relations (no query)."""
    for article in articles:
        cache = article.__dict__.setdefault("_prefetched_objects_cache", {})
        for name in names:
            cache_name, model_name, _fields, build = JSON_PARTS[name]
            objects = build(_nested(article.__dict__.pop(name, None)) or [], article._state.db)
            # What the relation's manager would give (its model's queryset, filtered on this article), with the
            # filter deferred as Django defers it (QuerySet.query applies it): only a query asked of these rows
            # builds it. Building it for each part was half the cost of turning the row into the page's parts.
            manager = getattr(article, cache_name)
            queryset = super(type(manager), manager).get_queryset()
            queryset._add_hints(instance=article)
            queryset._deferred_filter = (False, (), manager.core_filters)
            # What the managers' _apply_rel_filters add: a filter through the topics reuses the join to this
            # article's links (not any article's), and rows read by a further query have this article as theirs.
            if model_name == "Topic":
                queryset._query.filter_is_sticky = True
            else:
                queryset._known_related_objects = {manager.field: {article.pk: article}}
            queryset._result_cache = objects
            queryset._prefetch_done = True
            cache[cache_name] = queryset


CARD_FIELDS = (
    "id",
    "kicker",
    "headline",
    "summary",
    "published_at",
    "section__name",
    "section__slug",
    "lead_photo_id",
    "lead_photo__image",
    "lead_photo__width",
    "lead_photo__height",
    "lead_photo__alt_text",
    "lead_photo__rendition_set",
    "print_page_number",
    "print_page_name",
)


_STAND_IN_NOW = datetime.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
_STAND_IN_ARTICLE = -918273001
STAND_IN_OBJECT = -918273004  # a list page's section, topic or reporter in its compiled query (views.SeekPaginator)
STAND_IN_IDS = -918274000  # a page's known ids in its compiled query: -918274000, -918274001... (views.SeekPaginator)
STAND_IN_SLUG = "\x00stand-in-slug\x00"  # a page's slug in its compiled query (no slug holds NUL)
_compiled_queries = {}
_compiled_lock = threading.Lock()
COMPILED_QUERIES = 256  # kept per process, the least recently used dropped first (deep pages each have one)
BIGGEST_ID = 2**63 - 1  # of a BigAutoField: a larger number names no row (and no database takes it as a value)


def _compiled(key, build, using, values):
    """The memo behind ``compiled_sql`` and ``fetch_compiled``: (the queryset ``build(now)`` and its compiler, built,
    set up and compiled once per process, database and ``key``; the SQL; its parameters bound to the current time
    and ``values``)."""
    connection = connections[using]
    memo_key = (connection.alias, key)
    with _compiled_lock:  # the process's threads share the memo
        compiled = _compiled_queries.pop(memo_key, None)  # put back last: the least recently used go first
        if compiled is not None:
            _compiled_queries[memo_key] = compiled
    if compiled is None:
        queryset = build(_STAND_IN_NOW)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        stand_in_now = connection.ops.adapt_datetimefield_value(_STAND_IN_NOW)
        slots = []
        for i, param in enumerate(params):
            if param == stand_in_now or param == _STAND_IN_NOW:
                slots.append((i, _STAND_IN_NOW))
            elif isinstance(param, (int, str)) and param in (values or {}):
                slots.append((i, param))
        compiled = (queryset, compiler, sql, tuple(params), slots)
        with _compiled_lock:
            if len(_compiled_queries) >= COMPILED_QUERIES:
                del _compiled_queries[next(iter(_compiled_queries))]
            _compiled_queries[memo_key] = compiled
    queryset, compiler, sql, params, slots = compiled
    values = {**(values or {}), _STAND_IN_NOW: connection.ops.adapt_datetimefield_value(timezone.now())}
    params = list(params)
    for i, stand_in in slots:
        params[i] = values[stand_in]
    return queryset, compiler, sql, params


def compiled_sql(key, build, using="default", values=None):
    """``build(now)``'s SQL and parameters, compiled once per process, database and ``key``, then given the current
    time for ``now`` and ``values`` ({stand-in: value}) for the stand-in values ``build`` put in the query: for a
    query of many parts whose building and compiling would cost more than running it. ``key`` must name every
    choice that changes the SQL's shape (not the values passed through ``values``).
    """
    _queryset, _compiler, sql, params = _compiled(key, build, using, values)
    return sql, params


def fetch_compiled(key, build, using="default", values=None):
    """The results of the queryset ``build(now)`` (model instances with their ``select_related`` objects and JSON
    parts, or whatever the queryset yields), its query built and compiled once per process as ``compiled_sql``
    does, then run with the current time and ``values``. The queryset's own iterable turns the rows into results
    with the compiler kept from that first compile (a copy per call: nothing shared is changed)."""
    try:
        queryset, compiler, sql, params = _compiled(key, build, using, values)
    except EmptyResultSet:  # a query that can match nothing (an empty slice): Django runs none either
        return []
    connection = connections[using]
    converters = compiler.__dict__.get("kept_converters")
    if converters is None:  # the columns' converters, looked up once, not at every run (a call per column)
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = compiler.kept_converters = compiler.get_converters(columns)
    instances = compiler.__dict__.get("kept_instances")
    if instances is None:
        instances = compiler.kept_instances = _InstancesOfRows.for_query(queryset, compiler, using)
    if instances:
        with preparing(connection), connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return instances(rows, converters, connection)
    run = copy.copy(compiler)
    run.connection = connection  # this thread's: the memo is shared by the process's threads
    run.as_sql = lambda *args, **kwargs: (sql, params)
    run.get_converters = lambda expressions: converters
    queryset = queryset.using(using)  # a fresh query object: only this call's copy hands out ``run``
    queryset.query.get_compiler = lambda *args, **kwargs: run
    with preparing(connection):
        return list(queryset)


class _InstancesOfRows:
    """Model instances from the rows of a compiled query, as Django's ModelIterable makes them (``from_db``, the
    ``select_related`` objects, the annotations; then the article's JSON parts as ``ArticleQuerySet._fetch_all``
    adds them), with what they need worked out once per compiled query: ``fetch_compiled`` then runs the query on a
    cursor and hands the rows here, without a queryset and compiler copied for each run (a quarter of the article's
    fetch, measured: 276-288 against 317-338 µs). Only for a plain query of model instances (``for_query``)."""

    def __init__(self, compiler, using, json_parts):
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1]
        self.columns = slice(first, last + 1)
        self.init_list = [column[0].target.attname for column in select[self.columns]]
        self.related = get_related_populators(klass_info, select, using)  # no state of a run: kept and shared
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.using = using
        self.json_parts = json_parts

    @classmethod
    def for_query(cls, queryset, compiler, using):
        """The maker for ``queryset``'s rows, or False for a query it cannot stand in for: rows that are not
        model instances (values()), prefetches or known related objects to add, a query whose columns Django reads
        only when it runs."""
        plain = (
            queryset._iterable_class is ModelIterable
            and not queryset._prefetch_related_lookups
            and not queryset._known_related_objects
            and compiler.klass_info is not None
            and compiler.select is not None
        )
        return cls(compiler, using, getattr(queryset, "_json_parts", ())) if plain else False

    def __call__(self, rows, converters, connection):
        if converters:
            rows = list(_apply_converters(rows, converters, connection))
        model_class, columns, init_list, using = self.model, self.columns, self.init_list, self.using
        results = []
        for row in rows:
            instance = model_class.from_db(using, init_list, row[columns])
            for populator in self.related:
                populator.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            results.append(instance)
        if self.json_parts and results:
            attach_json_parts(results, self.json_parts)
        return results


def _apply_converters(rows, converters, connection):
    """Rows with the columns' converters applied (``SQLCompiler.apply_converters``, given the connection)."""
    converters = list(converters.items())
    for row in rows:
        row = list(row)
        for position, (convert, expression) in converters:
            value = row[position]
            for converter in convert:
                value = converter(value, expression, connection)
            row[position] = value
        yield row


def preparing(connection):
    """A context in which ``connection``'s statements are prepared (``_prepared``) when its settings bind on the
    server side (NEWSROOM_DB_PREPARED_STATEMENTS); else one that changes nothing."""
    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        return contextlib.nullcontext()
    return connection.execute_wrapper(_prepared)


def _prepared(execute, sql, params, many, context):
    """An execute wrapper (the innermost): the statement is prepared on the connection, so that PostgreSQL plans it
    once per connection (settings: NEWSROOM_DB_PREPARED_STATEMENTS). What ``CursorWrapper._execute`` does, with
    psycopg's ``prepare=True``."""
    database = context["connection"]
    database.validate_no_broken_transaction()
    with database.wrap_database_errors:
        return context["cursor"].cursor.execute(sql, params, prepare=True)


# The most stories of an article's package (its lead and companions) that its page names (``with_package``).
PACKAGE_LIMIT = 8


def package_rows(article):
    """The rows (id, headline, published_at) of ``article``'s package as ``with_package`` read them: its lead
    first, then the companions in the order they were filed."""
    rows = _nested(article.package_json) or []
    return sorted(
        ({"id": row["id"], "headline": row["headline"], "published_at": _moment(row["published_at"])} for row in rows),
        key=lambda row: (row["id"] != article.package_lead_id, row["id"]),
    )


def _related_row(pk, headline, published_at, shares_topic):
    """A row of ``ArticleQuerySet.related_to`` (from its query, or from the JSON of the article page's)."""
    return {"id": pk, "headline": headline, "published_at": _moment(published_at), "shares_topic": bool(shares_topic)}


class ArticleQuerySet(PublishableQuerySet):
    _json_parts = ()

    def _clone(self):
        clone = super()._clone()
        clone._json_parts = self._json_parts
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._json_parts and self._result_cache and isinstance(self._result_cache[0], models.Model):
            attach_json_parts(self._result_cache, self._json_parts)

    def with_parts(self, *names, when=None):
        """Annotate the parts ``names`` (keys of JSON_PARTS) as JSON, read into the prefetch cache on fetch.
        ``when`` (a condition on the article): only the articles meeting it read them; the others' are empty."""

        def part(name):
            if when is None:
                return JSONPart(name)
            return Case(When(when, then=JSONPart(name)), output_field=models.JSONField())

        clone = self.annotate(**{name: part(name) for name in names})
        clone._json_parts = tuple(dict.fromkeys((*self._json_parts, *names)))
        return clone

    def in_section(self, section):
        return self.filter(section=section)

    def in_topic(self, topic):
        """Articles in ``topic`` (a topic or its id), each once: the topic's links read first (``Among``; not for
        an OuterRef, whose subquery would be read again for every story)."""
        return self.filter(pk__among=model("Article").topics.through.objects.filter(topic=topic).values("article_id"))

    def bylined(self, reporter):
        """Articles with the reporter in any byline role, each once."""
        return self.filter(pk__in=model("Byline").objects.filter(reporter=reporter).values("article_id"))

    def with_entries_from(self, organization):
        """Articles carrying an experience entry of the organisation, each once."""
        return self.filter(
            pk__in=model("ExperienceEntry").objects.filter(organization=organization).values("article_id")
        )

    def print_out(self):
        """Stories whose print issue is out: dated today or earlier in Beijing. Tomorrow's paper, laid out the
        night before, is not on the site before its day (the page cache ends its generation at that midnight:
        articles/cache.py)."""
        return self.filter(print_issue_on__lte=timezone.localdate())

    def in_print_issue(self, issue_on):
        return self.filter(print_issue_on=issue_on)

    def related_to(self, article, limit=4):
        """Up to ``limit`` other published articles sharing a topic with ``article`` (those first), else its section,
        newest first: rows (id, headline, published_at, shares_topic) for headline lists (``cards.headline_card``).
        Published articles only, whatever this queryset's filters. On PostgreSQL ``published_detail`` reads the
        same rows in the page's own query (``related_rows``); this is one query of its own.

        The candidates are read first (``_related_query``): the newest ``limit`` articles of each topic it is in
        and the newest ``limit`` of its section (``articles_article_live_sec_idx``); only those few rows are then
        ordered. Ordering every story of the section by "shares a topic" read all of them
        (tests/test_list_indexes.py). The SQL is compiled once per process (``compiled_sql``): building it cost
        more than running it; it is prepared on PostgreSQL, as the page's own query is.
        """
        sql, params = compiled_sql(
            ("related", limit),
            lambda now: self._related_query(now, limit).values_list("id", "headline", "published_at", "shares_topic"),
            self.db,
            {_STAND_IN_ARTICLE: article.pk},
        )
        connection = connections[self.db]
        with preparing(connection), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [_related_row(*row) for row in cursor.fetchall()]

    @staticmethod
    def _related_query(now, limit):
        """The related stories (``related_to``) of the article of id ``_STAND_IN_ARTICLE``, ordered and sliced: the
        article's section and topics are read in the query itself, so that it needs nothing but the id."""
        articles = model("Article").objects
        links = articles.model.topics.through.objects
        its_topics = links.filter(article_id=_STAND_IN_ARTICLE).values("topic_id")
        its_section = model("Article").all_objects.filter(pk=_STAND_IN_ARTICLE).order_by().values("section_id")
        others = articles.published(now).exclude(pk=_STAND_IN_ARTICLE).order_by("-published_at", "-id").values("pk")
        in_section = others.filter(section_id=Subquery(its_section))[:limit]
        if connections[articles.db].vendor == "postgresql":
            # Each of its topics' newest stories, from the links' copies of their state (migration 0017): a few
            # entries of articles_topic_link_live_idx per topic, however big the topic (one ARRAY per topic, then
            # UNNEST: PostgreSQL reads an index in order for one topic at a time). Then a UNION ALL with the
            # section's newest (an index scan too).
            newest = (
                model("TopicLink")
                .objects.filter(topic_id=OuterRef("topic_id"))
                .exclude(article_id=_STAND_IN_ARTICLE)
                .live_ids(now)[:limit]
            )
            of_topics = (
                model("TopicLink")
                .objects.filter(article_id=_STAND_IN_ARTICLE)
                .annotate(newest=ArraySubquery(newest))
                .values(story=Func("newest", function="UNNEST", output_field=models.BigIntegerField()))
            )
            candidates = of_topics.union(in_section, all=True)
            # "Shares a topic" need not read the topics' links: a story of the section that shares a topic without
            # being among that topic's newest ``limit`` comes after those ``limit`` stories, which share it too,
            # so it is never shown, whatever its flag.
            shares_topic = ExpressionWrapper(Q(pk__in=of_topics), output_field=models.BooleanField())
        else:  # SQLite allows no LIMIT inside a UNION: one IN per part; its topics' links read first (Among)
            of_topics = others.filter(pk__among=links.filter(topic_id__in=its_topics).values("article_id"))[:limit]
            candidates = articles.filter(Q(pk__in=of_topics) | Q(pk__in=in_section)).values("pk")
            shares_topic = Exists(links.filter(article_id=OuterRef("pk"), topic_id__in=its_topics))
        return (
            articles.published(now)
            .filter(pk__among=candidates)
            .annotate(shares_topic=shares_topic)
            .order_by("-shares_topic", "-published_at", "-id")[:limit]
        )

    def latest_per_section(self, per_section):
        """The newest ``per_section`` articles of every section, in one query (a window function).

        Ordered by section (menu order), then newest first; group them in Python.
        """
        newest_first = Window(
            RowNumber(), partition_by=F("section_id"), order_by=[F("published_at").desc(), F("id").desc()]
        )
        return (
            self.select_related("section")
            .defer("body")
            .annotate(row_in_section=newest_first)
            .filter(row_in_section__lte=per_section)
            .order_by("section__order", "section__name", "section_id", "row_in_section")
        )

    def for_home(self, section_ids, per_section, fallbacks):
        """Card rows (dicts) of every published story the home page may show, whatever this queryset's filters, in
        one query: those placed in a front-page slot (``slot``: the lowest position), the latest ``fallbacks``, and
        the newest ``per_section`` of each section of ``section_ids``. Each part is a short scan of an index (a
        subquery with LIMIT); pick them apart in Python. Built and compiled once per process and set of sections
        (``fetch_compiled``): that cost more than running it, on every request of the busiest page.
        """
        using = self.db

        def ids(newest):
            parts = [
                model("FrontPageSlot").objects.filter(article__isnull=False).order_by().values("article_id"),
                newest[:fallbacks],
                *(newest.filter(section_id=section_id)[:per_section] for section_id in section_ids),
            ]
            if connections[using].features.supports_slicing_ordering_in_compound:
                # PostgreSQL: one list of ids, a UNION ALL of short index scans.
                union = parts[0].union(*parts[1:], all=True)
                sql, params = union.query.get_compiler(connection=connections[using]).as_sql()
                return RawSQL(sql, params)  # noqa: S611  # nosec: SQL compiled by Django, values as params
            wanted = Q()  # SQLite allows no LIMIT inside a UNION: one IN per part (fine at SQLite's sizes)
            for part in parts:
                wanted |= Q(pk__in=part)
            return model("Article").objects.filter(wanted).values("pk")

        def rows(now):
            slots = model("FrontPageSlot").objects.filter(article=OuterRef("pk")).order_by("position")
            newest = model("Article").objects.published(now).order_by("-published_at", "-id").values("pk")
            # Only the lead and secondary stories show bylines (a slotted story or one of the latest that fill an
            # empty slot): the sections' headlines do not, and their bylines were most of the query's work.
            may_lead = Q(Exists(slots)) | Q(pk__in=newest[:fallbacks])
            return (
                model("Article")
                .objects.published(now)
                .filter(pk__in=ids(newest))
                .annotate(
                    slot=Subquery(slots.values("position")[:1]),
                    bylines_json=Case(When(may_lead, then=JSONPart("bylines_json")), output_field=models.JSONField()),
                )
                .order_by("-published_at", "-id")
                .values(*CARD_FIELDS, "section_id", "bylines_json", "slot")
            )

        return fetch_compiled(("home", tuple(section_ids), per_section, fallbacks), rows, using)

    def front_page_candidates(self, fallbacks):
        """Articles placed in a home-page slot (``slot`` annotated, lowest position first), then the latest.

        At most one row per slotted article plus ``fallbacks`` further rows: enough to fill every empty slot.
        """
        slots = model("FrontPageSlot").objects.filter(article=OuterRef("pk")).order_by("position")
        slotted_count = len(model("FrontPageSlot").Position)
        return (
            self.annotate(slot=Subquery(slots.values("position")[:1]))
            .for_listing()
            .order_by(F("slot").asc(nulls_last=True), "-published_at", "-id")[: slotted_count + fallbacks]
        )

    def print_issue_neighbours(self, issue_on):
        """The previous and next issue dates around ``issue_on``, and the first and last, in one query: four short
        walks of ``articles_article_print_idx`` (from ``issue_on`` back and on, from either end), each stopping at
        its first story of this queryset. An aggregate over every story read the whole archive (33 ms at 100,000
        articles)."""
        dates = self.exclude(print_issue_on=None).values("print_issue_on")
        first = {
            "previous_issue_on": dates.filter(print_issue_on__lt=issue_on).order_by("-print_issue_on"),
            "next_issue_on": dates.filter(print_issue_on__gt=issue_on).order_by("print_issue_on"),
            "first_issue_on": dates.order_by("print_issue_on"),
            "last_issue_on": dates.order_by("-print_issue_on"),
        }
        one_row = self.model._base_manager.order_by().values(
            **{name: Subquery(found[:1], output_field=models.DateField()) for name, found in first.items()}
        )[:1]
        return next(iter(one_row), dict.fromkeys(first))  # no row at all: an empty table has no issue

    def for_print_issue(self):
        """An issue's articles as card rows, by page number, then the order they went live (read from the print
        index); the issue's page puts the pages in the paper's order (views.print_page_order: 头版 first)."""
        return self.for_cards().order_by("print_page_number", "published_at", "id")

    def for_listing(self):
        """Cards: section, lead photo (its renditions are kept on it) and bylines (in the row, as JSON); no body."""
        return (
            self.select_related("section", "lead_photo")
            .with_parts("bylines_json")
            .defer("body")
            .order_by("-published_at", "-id")
        )

    def for_feed(self):
        """Feed items: ``for_listing()``, and what newsroom_tags.shared_photo picks from when a story has no lead
        photo: its captioned photos and its entries' photos (not their text), as JSON in its row. The parts of a
        story with a lead photo are left empty (not read): the lead photo is the one shared."""
        return self.for_listing().with_parts("photos_json", "entry_photos_json", when=Q(lead_photo__isnull=True))

    def for_cards(self):
        """Rows for the cards of list pages (articles/cards.py): plain dicts, no model instance; the section's
        name and slug, the lead photo with its renditions, the bylines as JSON; newest first."""
        return self.with_parts("bylines_json").order_by("-published_at", "-id").values(*CARD_FIELDS, "bylines_json")

    def for_detail(self):
        """Everything the article page shows, in one query: the article with its section and lead photo, and its
        bylines, topics, corrections, captioned photos and experience entries (with organisation and photo) as JSON
        in its row.

        The photos of images in the rich text come from services.rich_text_photos (cached; one query when not).
        """
        return self.select_related("section", "lead_photo", "lead_photo__credit_reporter").with_parts(
            "bylines_json", "topics_json", "corrections_json", "photos_json", "entries_json"
        )

    def with_package(self, now=None):
        """Annotate ``package_json``: the other published stories of each article's package (``PACKAGE_LIMIT`` at
        most), rows of id, headline and published_at for ``package_rows``. A package is a lead story and the
        stories that name it as theirs (``package_lead``): the lead's page names its companions, a companion's its
        lead and the other companions. One correlated subquery on the pk and package_lead indexes."""
        articles = model("Article").objects
        itself = OuterRef(OuterRef("pk"))  # two levels out: ``members`` sits inside ``rows``
        lead = Coalesce(OuterRef(OuterRef("package_lead_id")), itself)
        members = (
            articles.published(now)
            .filter(Q(pk=lead) | Q(package_lead_id=lead))
            .exclude(pk=itself)
            .order_by()  # package_rows orders them; a walk of an index in order could read every story
            .values("pk")[:PACKAGE_LIMIT]
        )
        rows = (
            articles.filter(pk__in=members)
            .order_by()
            .annotate(package=Value(1))
            .values("package")
            .annotate(rows=JSONRows(JSONRow(id="id", headline="headline", published_at="published_at")))
            .values("rows")
        )
        return self.annotate(package_json=Subquery(rows))

    def published_detail(self, pk, related=0):
        """The published article ``pk`` with everything its page shows (``for_detail()``), or None; whatever this
        queryset's filters. One query, built and compiled once per process (``fetch_compiled``): building and
        compiling it cost more than running it.

        On PostgreSQL the same query also reads the article's ``related`` stories, as ``related_to`` would, into
        ``article.related_rows`` (an ARRAY subquery): the page then needs no second round trip to the database.
        Elsewhere ``related_rows`` is not set."""
        if not 0 < pk <= BIGGEST_ID:
            return None
        related = related if connections[self.db].vendor == "postgresql" else 0
        found = fetch_compiled(
            ("article page", related),
            lambda now: self._detail_query(now, related),
            self.db,
            {_STAND_IN_ARTICLE: pk},
        )
        if not found:
            return None
        article = found[0]
        if related:
            article.related_rows = [
                _related_row(row["id"], row["headline"], row["published_at"], row["shares_topic"])
                for row in map(_nested, article.__dict__.pop("related_json") or [])
            ]
        return article

    def _detail_query(self, now, related):
        """``published_detail``'s query for the article of id ``_STAND_IN_ARTICLE``."""
        detail = model("Article").objects.published(now).for_detail().with_package(now).filter(pk=_STAND_IN_ARTICLE)
        if not related:
            return detail
        row = JSONRow(id="id", headline="headline", published_at="published_at", shares_topic="shares_topic")
        row = Cast(row, models.TextField())  # each row's text, read by _nested
        return detail.annotate(related_json=ArraySubquery(self._related_query(now, related).values(row=row)))

    def filed_by(self, user):
        """The user's own stories: created by them or bylined to them."""
        if not user.is_authenticated:
            return self.none()
        bylined = model("Byline").objects.filter(reporter__user=user).values("article_id")
        return self.filter(Q(created_by=user) | Q(pk__in=bylined))

    def review_queue(self):
        """Stories waiting for review, the one submitted first at the top."""
        return self.filter(status=Status.IN_REVIEW).order_by("submitted_at", "id")

    def with_last_action(self):
        """Annotate ``last_action``: the action of the article's latest workflow step (None without one)."""
        steps = model("Transition").objects.filter(article=OuterRef("pk")).order_by("-id")
        return self.annotate(last_action=Subquery(steps.values("action")[:1]))

    def returned(self):
        """Drafts whose latest workflow step returned them to their reporter."""
        return self.with_last_action().filter(status=Status.DRAFT, last_action="return")

    def editable_by(self, user):
        """Articles this user may edit: all of them for editors, their own for reporters."""
        if not user.is_authenticated or not user.is_active or not user.is_staff:
            return self.none()
        if edits_any_article(user):
            return self.all()
        return self.filter(Q(created_by=user) | Q(bylines__reporter__user=user)).distinct()


class BylineQuerySet(models.QuerySet):
    def live_ids_of(self, reporter, now=None):
        """The ids of ``reporter``'s published articles (at ``now``), newest first and each once (a reporter may
        sign one story in two roles): the bylines' copies of their article's state (migration 0015) in the order
        of ``articles_byline_live_idx``. PostgreSQL only (DISTINCT ON)."""
        return (
            self.filter(
                reporter=reporter,
                article_live=Constant(True, models.BooleanField()),
                article_published_at__lte=now or timezone.now(),
            )
            .order_by("-article_published_at", "-article_id")
            .distinct("article_published_at", "article_id")
            .values("article_id")
        )


class ExperienceEntryQuerySet(CopiedStateQuerySet):
    def published(self):
        """Entries are public exactly when their article is. ``listed()`` gives the same entries from their copies
        of their article's state, served by the entries' indexes in the lists' order (``newest_first()``)."""
        return self.filter(article__in=model("Article").objects.published().values("pk"))

    def newest_first(self):
        """Newest article first, then the editor's order: the order of ``articles_entry_live_idx`` (and of
        ``articles_entry_live_org_idx`` within an organisation)."""
        return self.order_by("-article_published_at", "-article_id", "order", "id")

    def of_organization(self, organization):
        return self.filter(organization=organization)

    def of_organization_slug(self, slug):
        """The organisation's entries, its id read first (a scalar subquery): an equality on ``organization_id``,
        served by ``articles_entry_live_org_idx`` in the lists' order (a join on the slug walked the whole list)."""
        organization = model("Organization").objects.filter(slug=slug).values("pk")[:1]
        return self.filter(organization_id=Subquery(organization))

    def of_level(self, level):
        return self.filter(organization__in=model("Organization").objects.filter(level=level).values("pk"))

    def in_form(self, form):
        return self.filter(form=form)

    def in_topic(self, topic):
        """Entries of the articles in ``topic`` (a topic or its id): the topic's links read first (``Among``)."""
        links = model("Article").topics.through.objects.filter(topic=topic).values("article_id")
        return self.filter(article_id__among=links)

    def in_year(self, year):
        """Entries whose article went live in ``year``, newsroom time (Beijing): a range of the lists' index."""
        return self.filter(article_published_at__year=year)

    def for_listing(self):
        """Entry cards: organisation and article (headline, time); neither body is loaded."""
        return (
            self.select_related("organization", "article")
            .defer("body", "article__body")
            .order_by("-article__published_at", "-article_id", "order", "id")
        )


class DistinctJSONRows(Func):
    """The distinct values of an expression over a whole query, as a JSON array: an aggregate Django does not see
    as one (no GROUP BY), for an uncorrelated subquery that the database runs once."""

    function = "JSON_GROUP_ARRAY"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


class ReporterQuerySet(models.QuerySet):
    """A reporter is public through their published stories only: without a byline on one, their page is 404 (a
    correspondent named only in a draft stays unknown to readers)."""

    def with_published_stories(self, now=None):
        """Reporters bylined on a published article (at ``now``)."""
        published = model("Article").objects.published(now).values("pk")
        return self.filter(Exists(model("Byline").objects.filter(reporter=OuterRef("pk"), article__in=published)))


class TopicQuerySet(models.QuerySet):
    """A topic is public through its published stories only, as a reporter is: a topic made for a story not yet
    published (a draft, an embargoed story) is on no list and its page and feeds are 404 until the story goes live."""

    def with_published_stories(self, now=None):
        """Topics linked to a story published at ``now``: one probe each of ``articles_topic_link_live_idx``."""
        listed = model("TopicLink").objects.listed(now)
        return self.filter(Exists(listed.filter(topic=OuterRef("pk"))))

    def featured_for_home(self, now):
        """The featured topics, each with ``is_public`` (a story of it published at ``now``) and ``goes_public`` (when
        its first scheduled story goes live, or None): a featured topic whose story is embargoed is read too, so that
        the home page knows when it joins the others."""
        links = model("TopicLink").objects.filter(topic=OuterRef("pk"))
        return self.filter(is_featured=True).annotate(
            is_public=Exists(links.listed(now)), goes_public=links.first_scheduled(now)
        )


class OrganizationQuerySet(models.QuerySet):
    """An organisation is public through its published experience entries only (its page is 404 otherwise)."""

    def with_published_entries(self, now=None):
        """Organisations with a listed entry: one probe each of ``articles_entry_live_org_idx``."""
        listed = model("ExperienceEntry").objects.listed(now)
        return self.filter(Exists(listed.filter(organization=OuterRef("pk"))))

    def for_detail(self, now=None):
        """The organisation with its parent, and whether the parent has a public page (``parent_is_public``)."""
        listed = model("ExperienceEntry").objects.listed(now)
        return self.select_related("parent").annotate(
            parent_is_public=Exists(listed.filter(organization=OuterRef("parent")))
        )

    def experience_filter_choices(self):
        """The experience index's filter choices in one query: (organisations with listed entries as (slug, name),
        by name in pinyin order (``in_pinyin_order``); the years with listed entries, newest first; when the next scheduled entry goes live, or None).
        The years and the moment are uncorrelated subqueries in every organisation's row, run once. None when no
        entry is listed (no row to carry them)."""
        now = timezone.now()
        entries = model("ExperienceEntry").objects.order_by()
        years = (
            entries.listed(now).annotate(years_=DistinctJSONRows(ExtractYear("article_published_at"))).values("years_")
        )
        moment = entries.live_or_scheduled().filter(article_published_at__gt=now)
        moment = moment.annotate(next_=Func(F("article_published_at"), function="MIN")).values("next_")
        rows = list(
            self.model.objects.filter(Exists(entries.listed(now).filter(organization=OuterRef("pk"))))
            .annotate(
                years_=Subquery(years, output_field=models.JSONField()),
                next_=Subquery(moment, output_field=models.DateTimeField()),
            )
            .order_by(in_pinyin_order("name", self.db), "pk")
            .values_list("slug", "name", "years_", "next_")
        )
        if not rows:
            return None
        years = sorted({int(year) for year in _nested(rows[0][2]) or []}, reverse=True)
        return [(slug, name) for slug, name, _years, _next in rows], years, rows[0][3]
