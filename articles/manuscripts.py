"""Reading a manuscript: text (or the bytes of a file) in, a structured result out. No database access.

The format, as correspondents and local organisations deliver copy (see issue 7):

- An optional kicker line, then ``# headline``, then an optional ``## deck`` right under it.
- A source-and-byline line: a source part ("今日女报 / 凤网"), then role-and-name pairs ("首席记者 李某 通讯员 张某"),
  the role words taken from the byline-role vocabulary; or a compiled-by line ("整理 / 李某").
- Paragraphs, one per line or separated by blank lines. A line that ends without a sentence-final mark is joined to
  the next line right under it (print layouts break paragraphs at column and page breaks); a blank line always ends a
  paragraph, and one it seems to cut mid-sentence (a blank line at a column break) is noted.
- "11月19日" opening the first paragraph is the dateline.
- ``### Organisation：title`` opens an experience entry when "Organisation" is one (its name ends like one, or the
  system holds it) or the story is a roundup (one such heading, a group heading, a 整理 byline); else it is a
  sub-heading; a ``## 大会交流发言`` / ``## 书面交流`` heading over a group of
  entries sets their form, and a paragraph before the first entry saying who shared orally (大会交流发言) and in
  writing (书面交流) sets the others' forms where it names them.
- A short stand-alone sentence between paragraphs is a photo caption without its photo.
- A stand-alone sentence near the top that appears again in the body is the pull quote; one right under an entry
  heading that appears again in the entry's body is the entry's highlight.
- A later ``## heading`` followed by its own byline line starts a companion article of the same package; any other
  ``##``/``###`` heading inside a body is a sub-heading.
- A little Markdown: in a body ``**bold**``, ``*italic*``/``_italic_``, ``- ``/``1. `` lists, ``> `` quotes,
  ``[text](https://…)`` links and ``---`` rules become rich text; plain-text fields keep the words without the marks.

Anything the parser is unsure about is reported in ``notes`` for the editor; nothing of the input is dropped.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.translation import gettext as _

OBJECT_MARK = "\ufffc"  # U+FFFC, what Word leaves in copied text for an embedded image
MAX_BYTES = 2 * 1024 * 1024  # a manuscript is text: 2 MB is several hundred thousand characters

# Sub-headings' levels: the article page's headline is its h1 and a body's sub-headings come next (h2); an entry's
# title is an h3 (under the h2 of its group), and CKEditor offers no level below h3, so an entry's are h3 too.
BODY_SUBHEADING = "h2"
ENTRY_SUBHEADING = "h3"

# Sentence-final marks: a paragraph ending in one of these is complete.
FINAL_MARKS = '。！？!?…”’」』）)》"'
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters a full-width punctuation mark may follow or precede: ideographs, CJK punctuation, full-width forms.
CJK_CONTEXT = CJK + r"\u3000-\u303f\uff00-\uffef“”‘’…—\""
HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", ".": "。"}

_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]"
)
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002-\u200a\u202f\u205f]+")
_HALF_PUNCT = re.compile(rf"(?<=[{CJK_CONTEXT}]) ?([,:;!?.]) ?(?=[{CJK_CONTEXT}])|(?<=[{CJK}”])([,:;!?.])$")
_PARENS = re.compile(rf"\(([^()\n]*[{CJK}][^()\n]*)\)")
_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*$")  # "# 标题", and "#标题" as manuscripts also type it
# A Weibo-style topic opening the line ("#巾帼建新功#主题活动……", a kicker "#三八节#"): text, not a heading.
_HASHTAG = re.compile(r"#[^#\s]+#")
# A photo the manuscript points at, on a line of its own: Markdown's ![caption](file), or 【图】file caption.
_PICTURE = re.compile(
    r"^(?:!\[(?P<alt>[^\]]*)\]\((?P<file>[^)\s]*)[^)]*\)"
    r"|【图】\s*(?P<file2>\S+\.(?:jpe?g|png|webp|gif|tiff?|heic))?\s*(?P<caption>.*))$",
    re.IGNORECASE,
)
# Lines that are never the continuation of the line above: a Markdown list item, a rule.
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,}|—{2,})$")
_STANDS_ALONE = re.compile(r"^(?:[-*+] |\d{1,2}[.、] |-{3,}$|\*{3,}$|_{3,}$|—{2,}$)")
# The little Markdown copy is typed with: list items, quotes and rules on lines of their own; bold, italic and
# links inside a line. The body gets them as the rich text an editor would have made (tags services.sanitize_html
# keeps); plain-text fields keep their words only. Chinese has no other use for "*" and "_", but an address has:
# an address is never read for emphasis, and "_" inside a Latin word (file_name) is no marker either.
_LIST_ITEM = re.compile(r"^(?:(?P<bullet>[-*+])|(?P<number>\d{1,2})\.) +(?P<text>\S.*)$")
_QUOTE = re.compile(r"^> ?(?P<text>.*)$")
_MARKDOWN_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_INLINE = re.compile(
    r"\[(?P<label>[^\[\]\n]+)\]\((?P<href>[^()\s]*)\)"
    r"|(?P<url>https?://[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+)"
    r"|\*\*(?P<strong>[^*\s](?:[^*]*?[^*\s])?)\*\*"
    r"|\*(?P<em>[^*\s](?:[^*]*?[^*\s])?)\*"
    r"|(?<![A-Za-z0-9_])_(?P<em_>[^_\s](?:[^_]*?[^_\s])?)_(?![A-Za-z0-9_])"
)
_WEB_ADDRESS = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
# A tag typed into the copy ("<b>", "</script>", "<img src=x>"): the import keeps it as text, which a reader sees.
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_ENTRY_HEADING = re.compile(r"^(?P<org>[^：:]{2,30}?)\s*[：:]\s*(?P<title>\S.*)$")
# A closing line in parentheses that speaks of the whole page or story ("（本版稿件由各市州妇联提供，本报整理）"), not of
# one entry ("（桐溪市妇联供稿）" credits the entry it closes).
_CLOSING_NOTE = re.compile(r"^[（(][^（）()]*(?:本版|本报|本期|本文|以上|稿件|编者|各)[^（）()]*[）)]$")
_DATELINE = re.compile(r"^(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日")
_SENTENCE_END = re.compile(r"[。！？!?]")
_NUMBER = r"(\d+|[一二两三四五六七八九十]+)"
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

ORAL_WORDS = ("大会交流发言", "大会发言", "现场交流发言", "现场发言", "口头交流", "交流发言")
WRITTEN_WORDS = ("书面交流", "书面发言", "书面材料")
# Words that end a byline role the vocabulary does not know yet (特约记者, 驻站记者, 文, 图 ...).
ROLE_LIKE_SUFFIXES = ("记者", "通讯员", "员", "实习生", "摄影", "摄像", "整理", "编辑", "撰稿", "制图", "执笔")
ROLE_LIKE_WORDS = {"文", "图", "文图", "文/图", "图/文", "撰文", "文字", "图片", "供图", "摄", "采写"}
# Words that open a role rather than end a source when glued to one: "凤网记者" is a source and a role, "凤网特约记者" and
# "凤网摄影记者" the source 凤网 and a role.
ROLE_QUALIFIERS = (
    "特约", "驻站", "驻地", "全媒体", "融媒体", "首席", "见习", "实习", "资深", "本报", "本台", "摄影", "文字", "视频",
)  # fmt: skip
# Roles written after the name they credit, behind a slash: "李某/文 张某/图".
POSTFIX_ROLES = {"文", "图", "摄", "文图", "文/图", "图/文"}
# Words that close a byline without naming anyone: "记者 李某 报道", "…摄影报道".
CLOSING_WORDS = {"报道", "摄影报道", "采写", "摄", "供图"}
# How an organisation's name ends (a byline's "通讯员 桐溪市妇联 刘某", an entry heading's "白石县妇联：…").
ORGANIZATION_SUFFIXES = (
    "妇联", "妇女联合会", "联合会", "委员会", "妇委会", "执委会", "协会", "学会", "工会", "团委", "政府", "法院",
    "检察院", "公安局", "局", "办公室", "中心", "学校", "小学", "中学", "大学", "学院", "医院", "公司", "集团", "街道",
    "社区", "村委会", "居委会", "妇工委", "工委",
)  # fmt: skip

# A short form of an organisation in a byline ("通讯员 县妇联 刘敏", 团县委, 县委, 镇党委): a level (省, 市, 县 ...) and a
# kind, too short for the length rule of _looks_like_organization. No person's name of two or three characters is
# written so (区 is a surname, but nobody is called 区妇联 or 区委); an ending alone would not do, as a name may end in
# 联 or 委 (a reporter called 李文委 stays a reporter).
_LEVELS = "省市州盟县区旗镇乡村"
_SHORT_ORGANIZATION = re.compile(rf"^(?:[{_LEVELS}](?:妇联|工会|团委|政府|法院|医院|党委|工委|委)|团[{_LEVELS}]委)$")

# The characters of the byline words written in traditional characters (記者, 見習記者, 通訊員, 攝影, 編輯, 文/圖 ...):
# such a word is the vocabulary's simplified role. Only role words are read so; names stay as written.
_TRADITIONAL_ROLE_CHARACTERS = dict(
    zip("記見習實訊員攝編輯製圖約駐報導執筆寫採體資臺", "记见习实讯员摄编辑制图约驻报导执笔写采体资台", strict=True)
)
_TO_SIMPLIFIED = str.maketrans(_TRADITIONAL_ROLE_CHARACTERS)
_TO_TRADITIONAL = str.maketrans({simple: traditional for traditional, simple in _TRADITIONAL_ROLE_CHARACTERS.items()})

CAPTION_MAX_CHARACTERS = 40
BARE_SUBHEADING_MAX_CHARACTERS = 20
# A blank line ends a paragraph, yet copy from a print layout may have one at a column break, mid-sentence: the
# preview names a paragraph that looks cut there (_looks_cut), for the editor to join. Shorter lines without a full
# stop are mostly heading-like ("一、坚持就业优先，拓宽妇女增收渠道", "心理咨询热线：96158").
CUT_PARAGRAPH_MIN_CHARACTERS = 20
# A line numbered as a heading or list item is (一、, （二）, 3. , 第一，): neither the cut part nor its rest. "1.4万人" is
# a figure, not a number 1.
_NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d)|第[一二三四五六七八九十]+[，、：])"
)


class ManuscriptError(ValueError):
    """The manuscript cannot be read at all: the reason is for a person to act on."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


# --- The result ----------------------------------------------------------------------------------


@dataclass
class BylineItem:
    role: str
    name: str
    known_role: bool = True


@dataclass
class Block:
    """A piece of a body: a paragraph ("p"), a sub-heading (``BODY_SUBHEADING``, ``ENTRY_SUBHEADING``), a list ("ul",
    "ol": its ``items``), a quote ("blockquote": its paragraphs in ``items``) or a rule ("hr")."""

    kind: str
    text: str
    lines: int = 1  # how many input lines were joined into it
    items: list = field(default_factory=list)
    start: int = 1  # the number of an "ol"'s first item

    @property
    def html(self):
        """The block as rich text (to be sanitised, services.sanitize_html, like any)."""
        if self.kind == "hr":
            return "<hr>"
        if self.kind in ("ul", "ol"):
            start = f' start="{self.start}"' if self.kind == "ol" and self.start != 1 else ""
            items = "".join(f"<li>{inline_html(item)}</li>" for item in self.items)
            return f"<{self.kind}{start}>{items}</{self.kind}>"
        if self.kind == "blockquote":
            return "<blockquote>" + "".join(f"<p>{inline_html(item)}</p>" for item in self.items) + "</blockquote>"
        return f"<{self.kind}>{inline_html(self.text)}</{self.kind}>"


@dataclass
class Entry:
    organization: str
    title: str
    highlight: str = ""
    blocks: list = field(default_factory=list)
    captions: list = field(default_factory=list)
    form: str = ""  # "oral", "written" or "" when the manuscript does not say


@dataclass
class Draft:
    headline: str
    kicker: str = ""
    subtitle: str = ""
    source: str = ""
    has_byline_line: bool = False
    bylines: list = field(default_factory=list)
    dateline_on: datetime.date | None = None
    pull_quote: str = ""
    blocks: list = field(default_factory=list)
    captions: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    oral_count: int | None = None
    written_count: int | None = None


@dataclass
class Manuscript:
    text: str  # the normalised text
    drafts: list  # the first is the lead article, any further ones its companions
    notes: list  # things the editor should check, in reading order

    @property
    def hash(self):
        return manuscript_hash(self.text)

    @property
    def hashes(self):
        """Every hash an earlier import of this text may have stored: today's, and the one before blank lines were
        left out of it (``earlier_manuscript_hash``)."""
        return [self.hash, earlier_manuscript_hash(self.text)]

    @property
    def lead(self):
        return self.drafts[0]


# --- Decoding and normalising ---------------------------------------------------------------------

_BINARY_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x7fELF")


def decode(data):
    """The text of a manuscript file: UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32 with one, else
    GB18030 (simplified or traditional characters). Binary is refused."""
    if len(data) > MAX_BYTES:
        raise ManuscriptError(
            _("The file is larger than %(size)d MB: split it into one file per article.") % {"size": MAX_BYTES >> 20},
            "too_large",
        )
    if not data.strip():
        raise ManuscriptError(_("The file is empty."), "empty")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise ManuscriptError(_("The file starts like UTF-8 but is not valid UTF-8."), "encoding") from None
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # before UTF-16: its mark begins the same
        try:
            return data.decode("utf-32")
        except UnicodeDecodeError:
            raise ManuscriptError(_("The file starts like UTF-32 but is not valid UTF-32."), "encoding") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ManuscriptError(_("The file starts like UTF-16 but is not valid UTF-16."), "encoding") from None
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data[:8192]:
        raise ManuscriptError(
            _("This is not a text file. Save the manuscript as plain text (.txt or .md) and try again."), "binary"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise ManuscriptError(
            _("The file is neither UTF-8 nor GB18030 (GBK) text. Save it as UTF-8 and try again."), "encoding"
        ) from None
    if _reads_as_chinese(text, "gb2312") or _reads_as_chinese(text, "big5"):
        return text
    # Valid GB18030 all the same (it decodes almost any bytes): saying it is not would be false.
    raise ManuscriptError(
        _("The file is not UTF-8, and read as GB18030 (GBK) it gives no readable Chinese (it may be Big5 or another "
          "encoding). Save it as UTF-8 and try again."),
        "encoding",
    )  # fmt: skip


def _reads_as_chinese(text, common_set):
    """GB18030 decodes almost any bytes: real copy is mostly characters of a common set, GB2312's for simplified
    characters, Big5's for traditional ones (a traditional manuscript saved as GBK); other bytes read as a scatter
    of rare characters."""
    wide = [character for character in text if ord(character) > 0x7F]
    if not wide:
        return True
    common = 0
    for character in wide:
        try:
            character.encode(common_set)
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(wide) >= 0.85


def _full_width_punctuation(line):
    line = _HALF_PUNCT.sub(lambda match: HALF_TO_FULL[match[1] or match[2]], line)

    def parens(match):
        start, end = match.start(), match.end()
        before = line[start - 1] if start else ""
        after = line[end] if end < len(line) else ""
        if re.match(f"[{CJK_CONTEXT}]", before or "x") or re.match(f"[{CJK_CONTEXT}]", after or "x"):
            return f"（{match[1].strip()}）"
        return match[0]

    return _PARENS.sub(parens, line)


def normalize(text):
    """One form for every input: LF line ends, no control or zero-width characters, single spaces, no leading or
    trailing whitespace (full-width spaces included), full-width punctuation between Chinese characters, at most
    one blank line in a row."""
    # A copy from WeChat or a web page breaks lines with Unicode's separators: they are line breaks (a paragraph's,
    # U+2029, ends the paragraph). Word's object mark (U+FFFC) stood for an image the text cannot carry (see parse).
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _FORBIDDEN.sub("", text).replace(OBJECT_MARK, "")
    lines = []
    for raw in text.split("\n"):
        line = _full_width_punctuation(_SPACES.sub(" ", raw).strip())
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def manuscript_hash(normalised_text):
    """What identifies a manuscript: the same text in another encoding, with other line ends or another layout of
    blank lines is the same (a paste from Word puts one between every two lines)."""
    lines = [line for line in normalised_text.split("\n") if line]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def earlier_manuscript_hash(normalised_text):
    """The hash imports stored before ``manuscript_hash`` left blank lines out: their drafts are still copies."""
    return hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()


# --- Markdown ---------------------------------------------------------------------------------------


def inline_html(text):
    """A line's bold, italic and links (http and https only) as HTML; everything else escaped, as typed."""
    parts, position = [], 0
    for match in _INLINE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        if match["label"] is not None:
            label = inline_html(match["label"])
            # Another scheme (javascript:, a file on the author's computer) links nowhere a reader may go: its words.
            parts.append(
                f'<a href="{escape(match["href"])}">{label}</a>' if _WEB_ADDRESS.match(match["href"]) else label
            )
        elif match["url"] is not None:
            parts.append(escape(match["url"]))
        elif match["strong"] is not None:
            parts.append(f"<strong>{inline_html(match['strong'])}</strong>")
        else:
            parts.append(f"<em>{inline_html(match['em'] or match['em_'])}</em>")
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def plain(text):
    """A line without its Markdown markers, for a plain-text field (headline, kicker, caption ...): "**反家暴**宣传周"
    is stored as 反家暴宣传周, a link as its words."""

    def words(match):
        if match["url"] is not None:
            return match["url"]
        return plain(match["label"] or match["strong"] or match["em"] or match["em_"])

    return _INLINE.sub(words, text)


def blocks_html(blocks):
    return "\n".join(block.html for block in blocks)


# --- Parsing ----------------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    blank_before: bool
    blank_after: bool = False

    @property
    def heading(self):
        """(level, text) for a Markdown heading, else None."""
        match = _HEADING.match(self.text)
        if match and self.text.startswith("#") and match[2] and not _HASHTAG.match(self.text):
            return len(match[1]), plain(match[2])
        return None


def parse(text_or_bytes, *, roles, today=None, is_organization=None):
    """Read a manuscript. ``roles`` is the byline-role vocabulary (names); ``today`` dates a dateline without year;
    ``is_organization(name)`` says whether a name is an organisation the system holds (entry headings).

    Raises ManuscriptError when the input is not a manuscript at all (empty, binary, undecodable, no headline).
    """
    text = decode(text_or_bytes) if isinstance(text_or_bytes, bytes) else text_or_bytes
    had_images = OBJECT_MARK in text
    text = normalize(text)
    if not text:
        raise ManuscriptError(_("The file is empty."), "empty")
    parser = _Parser(text, set(roles), today or datetime.date.today(), is_organization or (lambda name: False))
    notes = parser.notes
    if had_images:
        notes.insert(
            0,
            _("The manuscript had an image placeholder that carries no picture (Word's mark for an image, pasted as "
              "text): it was left out. If the story needs the picture, upload it and attach it."),
        )  # fmt: skip
    return Manuscript(text=text, drafts=parser.drafts, notes=notes)


class _Parser:
    def __init__(self, text, roles, today, is_organization):
        self.roles = roles
        self.today = today
        self.is_organization = is_organization
        self.notes = []
        self.lines = self._lines(text)
        self.drafts = []
        self._parse()

    def note(self, message):
        if message not in self.notes:
            self.notes.append(message)

    @staticmethod
    def _lines(text):
        lines, blank = [], False
        for raw in text.split("\n"):
            if not raw:
                blank = True
                if lines:
                    lines[-1].blank_after = True
                continue
            lines.append(_Line(raw, blank))
            blank = False
        return lines

    # --- Structure ---

    def _parse(self):
        lines = self.lines
        start = next((i for i, line in enumerate(lines) if line.heading and line.heading[0] == 1), None)
        if start is None:
            raise ManuscriptError(
                _("No headline: the manuscript needs a line starting with “# ” (the headline)."), "no_headline"
            )
        # "### 深化改革 激发活力" over the headline is a kicker typed as a heading: its words, as any kicker's.
        kicker_lines = [line.heading[1] if line.heading else plain(line.text) for line in lines[:start]]
        if len(kicker_lines) > 1:
            self.note(_("Several lines stand before the headline; they were all kept as the kicker."))
        position = start + 1
        draft = Draft(headline=lines[start].heading[1], kicker=" ".join(kicker_lines))
        if position < len(lines) and lines[position].heading and lines[position].heading[0] == 2:
            draft.subtitle = lines[position].heading[1]  # right under the headline: the deck, never a companion
            position += 1
        while True:
            position = self._byline(draft, lines, position)
            end = self._companion_start(lines, position)
            self._body(draft, lines[position:end])
            self._markup(draft)
            self.drafts.append(draft)
            if end == len(lines):
                break
            draft = Draft(headline=lines[end].heading[1])
            position = end + 1

    def _is_byline(self, lines, index):
        return index < len(lines) and not lines[index].heading and parse_byline(lines[index].text, self.roles)[2]

    def _companion_start(self, lines, position):
        for index in range(position, len(lines)):
            heading = lines[index].heading
            if heading and heading[0] == 2 and self._is_byline(lines, index + 1):
                return index
        return len(lines)

    def _byline(self, draft, lines, position):
        if not self._is_byline(lines, position):
            self.note(
                _("“%(headline)s” has no source-and-byline line under its headline.") % {"headline": draft.headline}
            )
            return position
        said = []
        source, items, _recognised = parse_byline(lines[position].text, self.roles, notes=said)
        for message in said:
            self.note(message)
        draft.source, draft.bylines, draft.has_byline_line = source, items, True
        for item in items:
            if not item.known_role:
                self.note(
                    _("Unknown byline role “%(role)s” (for %(name)s): it will be added to the byline roles.")
                    % {"role": item.role, "name": item.name}
                )
        return position + 1

    def _markup(self, draft):
        """HTML typed into the copy is kept as the characters typed (escaped: it runs nowhere), so a reader sees
        "<b>" or "<script>" on the page: the preview says where, for the editor to take it out."""
        fields = [
            (_("kicker"), draft.kicker),
            (_("headline"), draft.headline),
            (_("subtitle"), draft.subtitle),
            (_("pull quote"), draft.pull_quote),
            (_("body"), " ".join(part for block in draft.blocks for part in (block.text, *block.items))),
            (_("caption"), " ".join(draft.captions)),
        ]
        for entry in draft.entries:
            texts = [entry.title, entry.highlight, *entry.captions]
            texts += [part for block in entry.blocks for part in (block.text, *block.items)]
            fields.append((_("the entry of %(organization)s") % {"organization": entry.organization}, " ".join(texts)))
        for block in [*draft.blocks, *(block for entry in draft.entries for block in entry.blocks)]:
            for part in (block.text, *block.items):
                for link in _INLINE.finditer(part):
                    if link["label"] is not None and not _WEB_ADDRESS.match(link["href"]):
                        self.note(
                            _("The link “%(text)s” points to %(address)s, which is not a web address: only its "
                              "words were kept.") % {"text": plain(link["label"]), "address": link["href"] or "—"}
                        )  # fmt: skip
        for label, text in fields:
            if tags := list(dict.fromkeys(_HTML_TAG.findall(text or ""))):
                self.note(
                    _("The %(field)s of “%(headline)s” contains what looks like HTML markup (%(markup)s): it is kept "
                      "as the characters typed, which readers see; remove it if it is not meant to be read.")
                    % {"field": label, "headline": draft.headline, "markup": " ".join(tags)}
                )  # fmt: skip

    # --- Bodies ---

    def _body(self, draft, lines):
        """Split a body into the article's own part and its entries, then read each part."""
        own, entries, current, group = [], [], None, ""
        roundup = self._is_roundup(draft, lines)
        for index, line in enumerate(lines):
            heading = line.heading
            match = heading and heading[0] == 3 and _ENTRY_HEADING.match(heading[1])
            # "### 关键词一：脚步" in a story is a sub-heading: an entry is an organisation's, or one of a roundup's.
            if match and (roundup or self._names_organization(match["org"].strip())):
                entry = Entry(organization=match["org"].strip(), title=match["title"].strip(), form=group)
                current = (entry, [])
                entries.append(current)
                continue
            # "## 大会交流发言" / "## 书面交流" over a group of entries: the entries' form, which the article page shows
            # as the group's heading (it is not a sub-heading of the entry before it).
            if (
                heading
                and heading[0] in (2, 3)
                and (form := _group_form(heading[1]))
                and self._entry_follows(lines, index)
            ):
                group = form
                continue
            if heading and heading[0] == 3 and (entries or self._looks_like_entry_heading(heading[1])):
                self.note(
                    _("The heading “%(heading)s” has no colon: it was kept as a sub-heading. If it opens an "
                      "experience entry, write it as “Organisation：title”.") % {"heading": heading[1]}
                )  # fmt: skip
            if heading and heading[0] == 1:
                self.note(
                    _("A second “# ” headline inside the body was kept as a sub-heading: %(text)s")
                    % {"text": heading[1]}
                )
            (current[1] if current else own).append(line)

        if entries and len(entries[-1][1]) > 1:
            last = entries[-1][1][-1]
            if last.blank_before and not last.heading and _CLOSING_NOTE.match(last.text):
                # The story's editorial note after its last entry is not that organisation's words: the end of the
                # story's own text is the nearest place that belongs to the whole story.
                entries[-1][1].pop()
                own.append(_Line(last.text, blank_before=True))
                self.note(
                    _("The closing line “%(text)s” after the last entry reads as a note on the whole story: it was "
                      "put at the end of the story's own text, before the entries; check it.") % {"text": last.text}
                )  # fmt: skip
        draft.blocks = self._blocks(own, BODY_SUBHEADING)
        self._pull_quote(draft)
        self._dateline(draft)
        # A body with entries after it ends where the first entry begins: a caption may close it, as it may close
        # an entry. A body that ends the story ends with text.
        draft.captions = self._captions(draft.blocks, story_ends_here=not entries)
        for entry, entry_lines in entries:
            entry.blocks = self._blocks(entry_lines, ENTRY_SUBHEADING)
            self._highlight(entry)
            entry.captions = self._captions(entry.blocks)
            draft.entries.append(entry)
        if draft.entries:
            self._forms(draft)

    def _names_organization(self, text):
        return text.endswith(ORGANIZATION_SUFFIXES) or self.is_organization(text)

    def _is_roundup(self, draft, lines):
        """Experience shared by organisations: an entry heading names one, or a heading groups entries by form, or
        the byline is a compiler's (整理)."""
        headings = [line.heading[1] for line in lines if line.heading and line.heading[0] in (2, 3)]
        return (
            any(
                (match := _ENTRY_HEADING.match(text)) and self._names_organization(match["org"].strip())
                for text in headings
            )
            or any(_group_form(text) for text in headings)
            or any(item.role == "整理" for item in draft.bylines)
        )

    @staticmethod
    def _entry_follows(lines, index):
        return any(
            (heading := line.heading) and heading[0] == 3 and _ENTRY_HEADING.match(heading[1]) for line in lines[index:]
        )

    @staticmethod
    def _looks_like_entry_heading(text):
        return bool(re.search(r"(妇联|妇女联合会)\s", text))

    def _blocks(self, lines, subheading):
        """Paragraphs and sub-headings (of the level ``subheading``); paragraphs broken by the print layout are
        joined again."""
        blocks, joinable = [], False
        for line in lines:
            heading = line.heading
            if heading:
                blocks.append(Block(subheading, heading[1]))
                joinable = False
                continue
            text = line.text
            picture = _PICTURE.match(text)
            if picture:  # a photo the manuscript points at: its caption waits for the photo (a placeholder)
                caption = plain(picture["alt"] if picture["alt"] is not None else picture["caption"] or "").strip()
                # Named by its file, else by its caption ("![](a.jpg)", "【图】会场。" both happen).
                what = picture["file"] or picture["file2"] or caption or "—"
                if not caption:  # a place for a photo is kept by its caption: one that names the file, until written
                    caption = _("(caption to write: %(file)s)") % {"file": what}
                    self.note(
                        _("The photo %(file)s has no caption: its place says “%(caption)s” until you write one.")
                        % {"file": what, "caption": caption}
                    )
                blocks.append(Block("caption", caption))
                self.note(
                    _(
                        "A photo (%(what)s) is referenced but not in the manuscript: a place waits for it under the "
                        "story; upload the photo and attach it."
                    )
                    % {"what": what}
                )
                joinable = False
                continue
            if _MARKDOWN_RULE.match(text):  # "---" between parts: a line across the page, not a paragraph
                blocks.append(Block("hr", ""))
                joinable = False
                continue
            if item := _LIST_ITEM.match(text):  # "- 拨打110报警；", "1. …": one list, blank lines between items or not
                kind = "ol" if item["number"] else "ul"
                if blocks and blocks[-1].kind == kind:
                    blocks[-1].items.append(item["text"])
                else:
                    blocks.append(Block(kind, "", items=[item["text"]], start=int(item["number"] or 1)))
                joinable = False
                continue
            if quote := _QUOTE.match(text):  # "> …": a quote; lines right under each other make one paragraph of it
                said = quote["text"].strip()
                if blocks and blocks[-1].kind == "blockquote" and not line.blank_before:
                    if not said:
                        blocks[-1].items.append("")
                    elif blocks[-1].items and blocks[-1].items[-1]:
                        blocks[-1].items[-1] = _joined(blocks[-1].items[-1], said)
                    else:
                        blocks[-1].items[-1:] = [said]
                elif said:
                    blocks.append(Block("blockquote", "", items=[said]))
                joinable = False
                continue
            # Only a line break inside a paragraph is a print-layout break: a blank line always ends a paragraph,
            # whatever the paragraph ends with (a heading-like line, a phone number, an emoji, a link, a list item).
            # A list item or a rule ("- 拨打110报警；", "---") starts a block of its own too: no layout breaks a line there.
            if (
                joinable
                and not line.blank_before
                and not _STANDS_ALONE.match(text)
                and blocks
                and blocks[-1].kind == "p"
            ):
                blocks[-1].text = _joined(blocks[-1].text, text)
                blocks[-1].lines += 1
            else:
                if line.blank_before and blocks and blocks[-1].kind == "p" and _looks_cut(blocks[-1].text, text):
                    self.note(
                        _("A paragraph ends mid-sentence before a blank line, as if cut at a column break: "
                          "“…%(end)s” / “%(start)s”. If it runs on, join the two paragraphs in the editor.")
                        % {"end": blocks[-1].text[-10:], "start": text if len(text) <= 10 else f"{text[:10]}…"}
                    )  # fmt: skip
                blocks.append(Block("p", text))
            last = blocks[-1].text
            joinable = not last.endswith(tuple(FINAL_MARKS)) and not _RULE.match(last)
            if joinable and blocks[-1].lines == 1 and _is_bare_subheading(last) and line.blank_after:
                blocks[-1].kind = subheading
                joinable = False
                self.note(
                    _("The short line “%(text)s” has no punctuation: it was taken as a sub-heading.") % {"text": last}
                )
        for block in blocks:
            block.items = [item for item in block.items if item]  # a quote's "> " line between its paragraphs
        if blocks and blocks[-1].kind == "p" and not blocks[-1].text.endswith(tuple(FINAL_MARKS)):
            self.note(_("A paragraph ends without a full stop: “…%(end)s”.") % {"end": blocks[-1].text[-15:]})
        return blocks

    def _pull_quote(self, draft):
        """A stand-alone sentence among the first paragraphs that appears again in a later paragraph."""
        paragraphs = [block for block in draft.blocks if block.kind == "p"]
        for candidate in paragraphs[:3]:
            if candidate.lines != 1 or not _is_one_sentence(candidate.text, max_characters=120):
                continue
            key = _key(plain(candidate.text))
            if len(key) >= 8 and any(key in plain(other.text) for other in paragraphs if other is not candidate):
                draft.pull_quote = plain(candidate.text)
                draft.blocks.remove(candidate)
                return

    def _highlight(self, entry):
        paragraphs = [block for block in entry.blocks if block.kind == "p"]
        if len(paragraphs) < 2 or entry.blocks[0] is not paragraphs[0]:
            return
        candidate = paragraphs[0]
        key = _key(plain(candidate.text))
        if candidate.lines == 1 and len(key) >= 6 and any(key in plain(other.text) for other in paragraphs[1:]):
            entry.highlight = plain(candidate.text)
            entry.blocks.remove(candidate)

    def _dateline(self, draft):
        first = next((block for block in draft.blocks if block.kind == "p"), None)
        if first is None or not (match := _DATELINE.match(first.text)):
            return
        year = int(match["year"]) if match["year"] else self.today.year
        try:
            day = datetime.date(year, int(match["month"]), int(match["day"]))
        except ValueError:
            self.note(_("“%(date)s” at the start of the body is not a real date.") % {"date": match[0]})
            return
        if not match["year"] and day > self.today + datetime.timedelta(days=31):
            day = day.replace(year=year - 1)  # a December story imported in January
        draft.dateline_on = day

    def _captions(self, blocks, story_ends_here=False):
        """Short stand-alone one-sentence lines after a paragraph are photo captions without their photos (taken
        out of ``blocks``): before the next paragraph or sub-heading, or closing an entry. The first words of a body
        or section are text, and so are the last words of a story (``story_ends_here``), however short."""
        captions, kept = [], []
        guessing = sum(block.kind == "p" for block in blocks) >= 2
        last = len(blocks) - 1
        for index, block in enumerate(blocks):
            after_text = index > 0 and blocks[index - 1].kind == "p"
            placed = after_text and (index < last or not story_ends_here)
            if block.kind == "caption":  # a photo's own, from its reference
                captions.append(plain(block.text))
            elif guessing and placed and block.kind == "p" and block.lines == 1 and _is_caption(block.text):
                captions.append(plain(block.text))
                # A guess: a short sentence of the text has the same shape. Taken out, it blocks publishing until a
                # photo is attached, so the preview asks for a look.
                self.note(
                    _("The short line “%(text)s” was taken as a photo caption (its photo is not in the manuscript): "
                      "if it is part of the text, put it back in the body.") % {"text": block.text}
                )  # fmt: skip
            else:
                kept.append(block)
        blocks[:] = kept
        return captions

    def _forms(self, draft):
        """Set each entry's form from the introduction's "N个单位作大会交流发言，M个单位作书面交流"."""
        entries = draft.entries
        for block in draft.blocks:
            if block.kind != "p":
                continue
            for clause in re.split(r"[，；。,;]", block.text):
                if any(word in clause for word in WRITTEN_WORDS):
                    form = "written"
                elif any(word in clause for word in ORAL_WORDS):
                    form = "oral"
                else:
                    continue
                if count := re.search(_NUMBER + r"个", clause):
                    setattr(draft, f"{form}_count", _number(count[1]))
                for entry in entries:
                    if not entry.form and _named_in(entry.organization, clause):
                        entry.form = form
        oral = sum(1 for entry in entries if entry.form == "oral")
        written = sum(1 for entry in entries if entry.form == "written")
        if draft.oral_count is not None and draft.written_count is not None:
            if draft.oral_count + draft.written_count != len(entries):
                self.note(
                    _("The introduction counts %(oral)d oral and %(written)d written contributions, but there are "
                      "%(entries)d entries.") % {"oral": draft.oral_count, "written": draft.written_count, "entries": len(entries)}
                )  # fmt: skip
            elif oral == draft.oral_count and written < draft.written_count:
                for entry in entries:
                    entry.form = entry.form or "written"
            elif written == draft.written_count and oral < draft.oral_count:
                for entry in entries:
                    entry.form = entry.form or "oral"
        for entry in entries:
            if not entry.form:
                # The entry's form cannot be left blank: the import stores it as written (services._create_drafts).
                self.note(
                    _("The manuscript does not say whether %(organization)s shared orally or in writing: it will be "
                      "saved as shared in writing; check it.") % {"organization": entry.organization}
                )  # fmt: skip


def _group_form(text):
    """ "oral" or "written" for a heading naming a group of entries ("大会交流发言", "二、书面交流"), else ""."""
    text = re.sub(r"^[一二三四五六七八九十\d]+[、.．]\s*", "", text).strip("：:（）() ")
    if len(text) > 12:
        return ""
    if any(word in text for word in WRITTEN_WORDS):
        return "written"
    if any(word in text for word in ORAL_WORDS):
        return "oral"
    return ""


def _key(text):
    """A sentence as it may appear inside a paragraph: without its quotes and its closing mark."""
    return text.strip('“”"').rstrip("。！？!?").strip('“”"')


def _joined(before, after):
    if before[-1:].isascii() and before[-1:].isalnum() and after[:1].isascii() and after[:1].isalnum():
        return f"{before} {after}"
    return before + after


def _looks_cut(before, after):
    """Whether a blank line between two paragraphs seems to cut one sentence (see CUT_PARAGRAPH_MIN_CHARACTERS): the
    first is long and ends with a character or a comma (not a mark ending a sentence, nor a colon or semicolon
    leading on, nor a phone number, address or emoji), and the second goes on with a character or a figure."""
    return (
        len(before) >= CUT_PARAGRAPH_MIN_CHARACTERS
        and bool(re.search(f"[{CJK}，、]$", before))
        and bool(re.match(rf"[{CJK}\d]", after))
        and not _NUMBERED.match(before)
        and not _NUMBERED.match(after)
    )


def _is_bare_subheading(text):
    return len(text) <= BARE_SUBHEADING_MAX_CHARACTERS and not re.search(r"[，。、；：！？,.;:!?（）()]", text)


def _is_one_sentence(text, *, max_characters):
    return (
        len(text) <= max_characters
        and bool(_SENTENCE_END.search(text[-2:]))
        and len(_SENTENCE_END.findall(text.rstrip("”’」"))) == 1
    )


def _is_caption(text):
    """A scene in a few words: one sentence, at most one comma, no figures, no speech."""
    return (
        text.endswith("。")
        and text.count("，") <= 1
        and not re.search(r"\d", text)
        and _is_one_sentence(text, max_characters=CAPTION_MAX_CHARACTERS)
        and "：" not in text
        and not text.startswith("“")
    )


def _number(value):
    if value.isdigit():
        return int(value)
    if value == "十":
        return 10
    tens, _sep, ones = value.partition("十")
    if _sep:
        return (_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + _CHINESE_DIGITS.get(ones, 0)
    return _CHINESE_DIGITS.get(value, 0)


def bare_organization_name(organization):
    """The place an organisation's name starts with: 桐溪市妇联 → 桐溪市 (services match names with it)."""
    return _bare(organization)


def _bare(organization):
    """The organisation's name without 妇联/妇女联合会 (桐溪市妇联 → 桐溪市)."""
    for suffix in ("妇女联合会", "妇联"):
        if organization.endswith(suffix) and len(organization) > len(suffix) + 1:
            return organization[: -len(suffix)]
    return organization


def _named_in(organization, clause):
    """Whether a clause listing names ("桐溪市妇联、云岭州妇联等5个单位…") names ``organization``.

    A listed name matches when it is the organisation's name or a tail of it (龙潭镇妇联 for 白石县龙潭镇妇联); without
    its suffix it must match exactly, so that 南湖区妇联 does not claim 南湖区月湖街道妇联.
    """
    head = re.split(r"等|" + _NUMBER + r"个|作|进行|分别", clause)[0]
    for part in re.split(r"[、和及与]", head.removeprefix("其中")):
        part = part.strip()
        if len(part) < 2:
            continue
        if _bare(part) == _bare(organization) or (len(part) >= 4 and organization.endswith(part)):
            return True
    return False


# --- Bylines ---------------------------------------------------------------------------------------


def _role_like(token):
    return token in ROLE_LIKE_WORDS or token.endswith(ROLE_LIKE_SUFFIXES)


def _looks_like_organization(word):
    """ "桐溪市妇联" in "通讯员 桐溪市妇联 刘敏" is where the correspondent works, not a person: people's names are short.
    So is the short form a county's copy calls its own organisation by ("通讯员 县妇联 刘敏", 团县委, 县委)."""
    return (len(word) >= 4 and word.endswith(ORGANIZATION_SUFFIXES)) or bool(_SHORT_ORGANIZATION.match(word))


def _simplified_role(token, roles):
    """ "記者" → "记者", "文/圖" → "文/图": a byline word in traditional characters, when it is a role word."""
    simplified = token.translate(_TO_SIMPLIFIED)
    if simplified != token and (simplified in roles or simplified in CLOSING_WORDS or _role_like(simplified)):
        return simplified
    return token


def _glued(token, roles):
    """ "记者李某" → ("记者", "李某"), "通讯员林某、张某" → ("通讯员", "林某、张某") when the token starts with a known role
    (or its traditional spelling, "記者唐欣") and short names follow."""
    for role in sorted(roles, key=len, reverse=True):
        for spelling in {role, role.translate(_TO_TRADITIONAL)}:
            rest = token[len(spelling) :]
            if token.startswith(spelling) and re.fullmatch(f"[{CJK}·]{{2,4}}(?:、[{CJK}·]{{2,4}})*", rest):
                return role, rest
    return None


def _source_and_role(token, roles):
    """ "凤网记者" → ("凤网", "记者"): a source word with a known role glued to its end (the byline's people follow).

    A qualifier right before the role is the role's ("今日女报·特约记者" → 今日女报 and 特约记者, "凤网摄影记者" → 凤网 and
    摄影记者), though the vocabulary may not hold that role yet; a token that is a role and qualifiers only (特约记者,
    本报记者) has no source.
    """
    if token in roles:
        return None
    for role in sorted(roles, key=len, reverse=True):
        if not token.endswith(role):
            continue
        source = token[: -len(role)]
        while qualifier := next((word for word in ROLE_QUALIFIERS if source.endswith(word)), None):
            source, role = source[: -len(qualifier)], qualifier + role
        source = source.rstrip("·")
        if len(source) >= 2:
            return source, role
    return None


def parse_byline(line, roles, notes=None):
    """(source, [BylineItem], recognised) for a source-and-byline line.

    ``recognised`` is False when the line does not look like a byline line at all (prose, a paragraph). What the
    reading leaves out of the names or guesses (a closing "报道", a correspondent's organisation, a role glued to the
    source) is said in ``notes`` when a list is given: no word of the line goes missing without a word.
    """
    text = line.strip().strip("（）()")
    if len(text) > 80 or re.search(r"[，。！？；,]", text) or text.endswith("："):
        return "", [], False
    tokens = []
    for token in re.split(r"\s+|(?<=[^\s])(?=/)|(?<=/)(?=[^\s])", text):
        if not token:
            continue
        token = _simplified_role(token, roles)
        # A "token" is a word of the byline line, not a credential (S105/B105 only see the name).
        glueable = token not in roles and token not in CLOSING_WORDS and token != "/"  # noqa: S105  # nosec B105
        if glueable and (glued := _glued(token, roles)):
            tokens.extend(glued)
        else:
            tokens.append(token)
    # "文/图" (text and photos) is one role: the split above made it three tokens, and "文" was then lost.
    for position in range(len(tokens) - 3, -1, -1):
        if tokens[position + 1] == "/":  # noqa: S105  # nosec B105 - a byline word
            combined = f"{tokens[position]}/{tokens[position + 2]}"
            if combined in roles or combined in ROLE_LIKE_WORDS:
                tokens[position : position + 3] = [combined]
    if not any(token in roles or _role_like(token) for token in tokens):
        return "", [], False
    said = []

    source_tokens, index = [], 0
    first = tokens[0]
    if "·" in first and (split := _source_and_role(first, roles)):  # "今日女报·凤网记者 李某"
        tokens[0:1] = list(split)
        source_tokens.append(split[0])
        index = 1
        said.append(_("“%(word)s” was read as the source %(source)s and the role %(role)s.") % {
            "word": first, "source": split[0], "role": split[1]})  # fmt: skip
    elif first not in roles and not _role_like(first):
        source_tokens.append(first)
        index = 1
        # "李某/文": a name and the role written after it, not a source.
        while index + 1 < len(tokens) and tokens[index] == "/" and tokens[index + 1] not in roles:
            word = tokens[index + 1]
            if word in POSTFIX_ROLES:
                break
            if split := _source_and_role(word, roles):  # "今日女报/凤网记者 李某": the people start with its role
                source_tokens += ["/", split[0]]
                tokens[index + 1 : index + 2] = [split[1]]
                index += 1
                said.append(_("“%(word)s” was read as the source %(source)s and the role %(role)s.") % {
                    "word": word, "source": split[0], "role": split[1]})  # fmt: skip
                break
            source_tokens += ["/", word]
            index += 2
        nxt = tokens[index] if index < len(tokens) else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if len(source_tokens) == 1 and nxt == "/" and after in POSTFIX_ROLES:
            source_tokens, index = [], 0
        elif len(source_tokens) == 1 and nxt is not None and nxt != "/" and nxt not in roles and not _role_like(nxt):
            source_tokens, index = [], 0  # "撰文 李某": a role the vocabulary does not know, followed by its name
    rest = tokens[index:]
    postfix = len(rest) >= 2 and rest[-2] == "/" and rest[-1] in POSTFIX_ROLES  # "记者 李某 / 文 张某 / 图"
    items, role, expecting_role, named = [], None, not postfix, True
    skip_next = False
    for position, token in enumerate(rest):
        if skip_next:
            skip_next = False
            continue
        following = next((t for t in rest[position + 1 :] if t != "/"), None)
        # A byline word, not a credential.
        if token == "/":  # noqa: S105  # nosec B105
            if postfix and position + 1 < len(rest) and rest[position + 1] in POSTFIX_ROLES:
                # "张某 / 图": the role after the slash credits the names before it that had none of their own.
                for item in items:
                    if item.role is None:
                        item.role, item.known_role = rest[position + 1], rest[position + 1] in roles
                role, expecting_role, skip_next = None, False, True
            continue
        if following is None and token in CLOSING_WORDS and items:  # "记者 李某 报道"
            said.append(_("“%(word)s” closing the byline is not a name: it was left out of the bylines.") % {
                "word": token})  # fmt: skip
            continue
        if token in roles or expecting_role or (_role_like(token) and following is not None and following not in roles):
            if not named:
                said.append(_("The byline word “%(word)s” has no name after it: check the byline.") % {"word": role})
            role, expecting_role, named = token, False, False
            continue
        # "周雅琴、唐小满": two people in the same role, not one person with a comma in the name.
        for name in filter(None, token.split("、")):
            if _looks_like_organization(name):
                said.append(_("“%(word)s” in the byline reads as an organisation, not a person: it was left out of "
                              "the bylines.") % {"word": name})  # fmt: skip
                continue
            items.append(BylineItem(role=role, name=name, known_role=role in roles))
            named = True
    for item in items:
        if item.role is None:
            said.append(_("The byline word “%(word)s” has no role: check the byline.") % {"word": item.name})
    items = [item for item in items if item.role is not None]
    # An unknown role with no name after it (e.g. "李某 记者站") is not a byline.
    if role is not None and not items:
        return "", [], False
    if not named and role is not None:
        said.append(_("The byline word “%(word)s” has no name after it: check the byline.") % {"word": role})
    if notes is not None and items:
        notes.extend(said)
    return " ".join(source_tokens), items, bool(items)


# --- Organisations ---------------------------------------------------------------------------------

# The administrative unit an organisation's name ends with (before 妇联/妇女联合会), most specific first.
_LEVEL_SUFFIXES = (
    ("社区", "village"),
    ("村", "village"),
    ("街道", "township"),
    ("镇", "township"),
    ("乡", "township"),
    ("自治区", "province"),
    ("区", "county"),
    ("县", "county"),
    ("旗", "county"),
    ("州", "city"),
    ("盟", "city"),
    ("地区", "city"),
    ("市", "city"),
    ("省", "province"),
)


def guess_level(organization):
    """The level of an organisation from its name ("白石县龙潭镇妇联" → township), or "" when the name says nothing.

    A county-level city (松溪市) reads as a city: the name alone cannot tell them apart.
    """
    name = _bare(organization)
    for suffix in ("委员会", "妇委会", "执委会"):
        name = name.removesuffix(suffix)
    for suffix, level in _LEVEL_SUFFIXES:
        if name.endswith(suffix):
            return level
    return ""
