"""A realistic newsroom corpus, fast: for the page and load benchmarks (PostgreSQL, and SQLite for small runs).

    DJANGO_SETTINGS_MODULE=newsroom.settings DATABASE_URL=postgres://... python bench/corpus.py --articles 100000
    .ci/with_postgres.sh .venv/bin/python bench/corpus.py --articles 100000

Migrates the database given by DATABASE_URL (SQLite's db.sqlite3 without it), refuses one that already holds
articles, then builds: sections, topics, 2,000 reporters, 3,000 organisations in a province > city > county >
township > village tree, a handful of real photos (JPEGs drawn with Pillow, stored and given their renditions by
the same service an upload goes through, so their files exist under MEDIA_ROOT) shared by many articles, and
``--articles`` articles (published over about five years, a few scheduled, drafts and in review; 1-4 bylines;
lead photos, inline photos in some bodies, captioned article photos; print page references; topics; 5% roundups
with 4-10 experience entries, each in a package with the story before it). Everything goes in with bulk_create in
big batches, in one transaction per batch.

Importable: ``build_corpus(n, seed=8)`` returns a dict of counts; the database must be migrated and empty.
Deterministic for a seed. The search index is not built (``manage.py rebuild_search_index`` does it).
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BATCH = 5000  # articles per transaction; their bylines, photos, entries and topics go in with them
SECTIONS = [
    ("要闻", "news"),
    ("本地", "local"),
    ("妇联动态", "federation"),
    ("巾帼风采", "women"),
    ("家庭", "family"),
    ("儿童", "children"),
    ("法治", "law"),
    ("健康", "health"),
    ("乡村振兴", "countryside"),
    ("评论", "opinion"),
]
TOPICS = 200
REPORTERS = 2000
ORGANIZATIONS = 3000
PHOTOS = 8
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "晓萌雪丽娟芳敏静婷玉兰英华红梅琳颖佳欣怡思雨涵子轩浩然明辉建国伟强军磊洋勇艳秀霞慧巧燕桂珍"
PLACES = [
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "邵阳",
    "岳阳",
    "常德",
    "张家界",
    "益阳",
    "郴州",
    "永州",
    "怀化",
    "娄底",
    "湘西",
]
PAGE_NAMES = ["要闻", "本地", "综合", "专题", "民生", "文化"]


def configure():
    """Django set up from the environment (DJANGO_SETTINGS_MODULE, DATABASE_URL), for the command line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()


class Text:
    """Chinese text from the common-word list: a pool of paragraphs made once, then picked from (fast)."""

    def __init__(self, rng):
        words_file = ROOT / "articles" / "search_words.txt"
        self.words = [
            w for w in words_file.read_text(encoding="utf-8").split() if not w.startswith("#") and w.isalpha()
        ]
        self.rng = rng
        self.paragraphs = [self.sentence(rng.randint(150, 400)) for _ in range(600)]

    def sentence(self, length):
        parts, size = [], 0
        while size < length:
            chunk = self.rng.choices(self.words, k=6)
            parts.append("".join(chunk) + self.rng.choice("，，，。"))
            size += sum(map(len, chunk)) + 1
        return "".join(parts).rstrip("，") + "。"

    def line(self, low, high):
        return "".join(self.rng.choices(self.words, k=self.rng.randint(low, high)))

    def body(self, paragraphs, images=()):
        chosen = self.rng.sample(self.paragraphs, paragraphs)
        html = [f"<p>{p}</p>" for p in chosen]
        for src, alt in images:
            html.insert(self.rng.randrange(1, len(html) + 1), f'<p><img src="{src}" alt="{alt}"></p>')
        return "".join(html)


def person_name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def make_photos(rng, count):
    """A handful of real JPEGs drawn with Pillow, stored through the upload service (renditions included)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from articles import services

    photos = []
    for number in range(count):
        width, height = rng.choice([(1600, 1067), (1200, 800), (1000, 1500), (1400, 933)])
        image = Image.new("RGB", (width, height), tuple(rng.randrange(40, 220) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(40):
            x, y = rng.randrange(width), rng.randrange(height)
            size = rng.randrange(40, 400)
            draw.ellipse((x, y, x + size, y + size), fill=tuple(rng.randrange(256) for _ in range(3)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        upload = SimpleUploadedFile(f"现场照片{number}.jpg", buffer.getvalue(), content_type="image/jpeg")
        photos.append(services.create_photo(upload, alt_text=f"活动现场{number}", credit_text="受访者供图"))
    return photos


def make_organizations(rng, count):
    from articles.models import Organization

    levels = Organization.Level
    province = Organization.objects.create(
        name="湖南省妇女联合会", short_name="省妇联", level=levels.PROVINCE, slug="org-0"
    )
    made = [province]
    parents = {levels.PROVINCE: [province]}
    plan = [(levels.CITY, 14), (levels.COUNTY, 120), (levels.TOWNSHIP, 900)]
    plan.append((levels.VILLAGE, max(0, count - 1 - sum(n for _level, n in plan))))
    above = levels.PROVINCE
    for level, number in plan:
        rows = [
            Organization(
                name=f"{rng.choice(PLACES)}{level.label}{len(made) + i}妇联",
                short_name=f"妇联{len(made) + i}",
                level=level,
                parent=rng.choice(parents[above]),
                slug=f"org-{len(made) + i}",
            )
            for i in range(number)
        ]
        rows = Organization.objects.bulk_create(rows, batch_size=2000)
        parents[level] = rows
        made += rows
        above = level
    return made


def build_corpus(n, seed=8, progress=print):
    """Create the corpus with ``n`` articles in the current (migrated, empty) database; return counts."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from articles.models import (
        Article,
        ArticlePhoto,
        Byline,
        BylineRole,
        ExperienceEntry,
        Reporter,
        Section,
        Topic,
    )
    from articles.querysets import Status

    if Article.all_objects.exists():
        raise RuntimeError("the database already holds articles: build the corpus in an empty one")
    rng = random.Random(seed)
    start = time.perf_counter()
    text = Text(rng)
    now = timezone.now()

    with transaction.atomic():
        sections = [Section(name=name, slug=slug, order=i * 10) for i, (name, slug) in enumerate(SECTIONS)]
        sections = Section.objects.bulk_create(sections)
        topics = Topic.objects.bulk_create(
            [
                Topic(
                    title=f"{text.line(2, 4)}专题{i}",
                    slug=f"topic-{i}",
                    summary=text.sentence(60),
                    place=rng.choice(PLACES),
                    starts_on=(now - timedelta(days=rng.randrange(1800))).date(),
                    is_featured=i < 8,
                )
                for i in range(TOPICS)
            ]
        )
        reporters = Reporter.objects.bulk_create(
            [
                Reporter(
                    name=person_name(rng),
                    slug=f"reporter-{i}",
                    title=rng.choice(["记者", "首席记者", "见习记者", "通讯员"]),
                    affiliation="今日女报" if i < 300 else f"{rng.choice(PLACES)}市妇联",
                )
                for i in range(REPORTERS)
            ],
            batch_size=2000,
        )
        organizations = make_organizations(rng, ORGANIZATIONS)
        roles = list(BylineRole.objects.all()) or BylineRole.objects.bulk_create(
            [BylineRole(name=name, order=i) for i, name in enumerate(["记者", "首席记者", "通讯员", "整理"])]
        )
    photos = make_photos(rng, PHOTOS)
    media_url = settings.MEDIA_URL
    inline_images = [(f"{media_url}{photo.image.name}", photo.alt_text) for photo in photos]
    progress(
        f"corpus: vocabulary, people, organisations and {len(photos)} photos in {time.perf_counter() - start:.1f} s"
    )

    counts = {"articles": 0, "bylines": 0, "article_photos": 0, "entries": 0, "topic_links": 0}
    topic_link = Article.topics.through
    step = timedelta(seconds=5 * 365 * 86400 / max(n, 1))  # about five years back, newest first
    for first in range(0, n, BATCH):
        numbers = range(first, min(n, first + BATCH))
        articles = []
        for number in numbers:
            roll = rng.random()
            if number < max(1, n // 1000):  # the newest few are scheduled for the coming days
                status, published_at = Status.PUBLISHED, now + timedelta(hours=number + 1)
            elif roll < 0.01:
                status, published_at = Status.DRAFT, None
            elif roll < 0.02:
                status, published_at = Status.IN_REVIEW, None
            else:
                status, published_at = Status.PUBLISHED, now - step * number - timedelta(seconds=rng.randrange(60))
            in_print = rng.random() < 0.6 and published_at is not None
            images = rng.sample(inline_images, rng.choice((1, 2))) if rng.random() < 0.1 else ()
            lead = rng.choice(photos) if rng.random() < 0.7 else None
            articles.append(
                Article(
                    kicker=text.line(2, 5) if rng.random() < 0.4 else "",
                    headline=text.line(4, 9),
                    subtitle=text.line(4, 8) if rng.random() < 0.3 else "",
                    summary=text.sentence(rng.randint(50, 120)),
                    body=text.body(rng.randint(4, 8), images),
                    section=rng.choice(sections),
                    dateline_place=rng.choice(PLACES),
                    dateline_on=published_at.date() if published_at else None,
                    pull_quote=text.sentence(30) if rng.random() < 0.3 else "",
                    lead_photo=lead,
                    lead_photo_caption=text.sentence(30) if lead else "",
                    print_issue_on=published_at.date() if in_print else None,
                    print_page_number=f"A{rng.randint(1, 12):02d}" if in_print else "",
                    print_page_name=rng.choice(PAGE_NAMES) if in_print else "",
                    status=status,
                    published_at=published_at,
                    submitted_at=published_at,
                )
            )
        with transaction.atomic():
            articles = Article.objects.bulk_create(articles, batch_size=1000)
            bylines, article_photos, entries, links, companions, leads = [], [], [], [], [], set()
            for index, article in enumerate(articles):
                for order, reporter in enumerate(rng.sample(reporters, rng.choice((1, 1, 2, 2, 2, 3, 4)))):
                    bylines.append(Byline(article=article, reporter=reporter, role=rng.choice(roles), order=order))
                if rng.random() < 0.3:
                    for order in range(rng.randint(1, 3)):
                        article_photos.append(
                            ArticlePhoto(
                                article=article, photo=rng.choice(photos), caption=text.sentence(40), order=order
                            )
                        )
                if rng.random() < 0.05:  # a roundup with its experience entries, companion of the report before it
                    if index + 1 < len(articles) and article.pk not in leads:  # a package has one lead
                        article.package_lead = articles[index + 1]
                        companions.append(article)
                        leads.add(article.package_lead_id)
                    for order in range(rng.randint(4, 10)):
                        entries.append(
                            ExperienceEntry(
                                article=article,
                                organization=rng.choice(organizations),
                                title=text.line(4, 8),
                                highlight=text.sentence(40) if rng.random() < 0.5 else "",
                                body=text.body(rng.randint(1, 3)),
                                photo=rng.choice(photos) if rng.random() < 0.3 else None,
                                caption=text.sentence(20) if rng.random() < 0.3 else "",
                                form=rng.choice(["oral", "written", "written"]),
                                order=order,
                            )
                        )
                for topic in rng.sample(topics, rng.choice((0, 0, 0, 1, 1, 2))):
                    links.append(topic_link(article_id=article.pk, topic_id=topic.pk))
            Article.objects.bulk_update(companions, ["package_lead"], batch_size=1000)
            Byline.objects.bulk_create(bylines, batch_size=5000)
            ArticlePhoto.objects.bulk_create(article_photos, batch_size=5000)
            ExperienceEntry.objects.bulk_create(entries, batch_size=2000)
            topic_link.objects.bulk_create(links, batch_size=5000)
        counts["articles"] += len(articles)
        counts["bylines"] += len(bylines)
        counts["article_photos"] += len(article_photos)
        counts["entries"] += len(entries)
        counts["topic_links"] += len(links)
        progress(f"corpus: {counts['articles']:,} articles, {time.perf_counter() - start:.1f} s")
    analyze()
    counts.update(
        sections=len(sections),
        topics=len(topics),
        reporters=len(reporters),
        organizations=len(organizations),
        photos=len(photos),
        seconds=round(time.perf_counter() - start, 1),
    )
    return counts


def analyze():
    """Fresh planner statistics (PostgreSQL's autovacuum would take a while to notice 100,000 new rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000, help="number of articles (default 100000)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    configure()
    from django.core.management import call_command
    from django.db import connection

    from articles.models import Article

    call_command("migrate", verbosity=0)
    if Article.all_objects.exists():
        sys.exit(f"corpus: {connection.settings_dict['NAME']} already holds articles; use an empty database")
    counts = build_corpus(args.articles, seed=args.seed)
    print(f"corpus on {connection.vendor}: " + ", ".join(f"{key} {value:,}" for key, value in counts.items()))


if __name__ == "__main__":
    main()
