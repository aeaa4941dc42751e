"""Chinese full-text search: one tokenizer and one query builder for PostgreSQL and SQLite (no database access here).

- Text and queries are normalised the same way: NFKC (full-width letters and digits become half-width) and casefold.
- Tokens: every run of CJK characters becomes its overlapping character pairs, a run of Latin letters or digits is
  one word. SQLite's FTS5 gets them as strings (plus each run's last character, so a one-character query is a prefix
  search); PostgreSQL gets them as int4 codes (``document_codes``) in an int4[] with GIN.
  株洲市妇联 → 株洲 洲市 市妇 妇联. On PostgreSQL the title's tokens are there twice: as themselves and as their
  ``title_code``, which finds the headline hits through the index.
- A query word is matched by all of its pairs (the index stores no positions: that keeps it small), and the database
  also finds the word itself in the text (``strpos``/``instr``), so scattered pairs and shared codes drop out
  there. The candidates are then checked in Python (``check``): the word must not occur only across a word
  boundary (妇联 inside 夫妇联系, 执委 inside 争执委员会). The check segments a few characters around each
  occurrence with a compact dictionary of common words (articles/search_words.txt) plus the query word itself, and
  refuses the occurrence when splitting the text there needs more words than the best segmentation: a name no
  dictionary knows is kept (a tie keeps it), a word inside a longer one (株洲 in 株洲市) too. Most occurrences need
  no segmenting: when the two characters on either side of each edge occur together in no dictionary word, no word
  can cross it.
"""

import array
import functools
import html
import math
import re
import sys
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.safestring import mark_safe

MAX_QUERY_LENGTH = 100  # characters kept of a query; the rest is ignored
MAX_TERMS = 8  # words kept of a query
MAX_WORD_LENGTH = 40  # a longer Latin or digit run is cut (no real word is longer; a hostile one is)
SNIPPET_LENGTH = 120  # characters of context shown around the first match

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uac00-\ud7af"  # Hangul
    "\U00020000-\U0003134f"  # Han extensions B-H
)
_RUN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD_RUN = re.compile(f"[^\\W_{_CJK}]+")
_NOT_CJK = re.compile(f"[^{_CJK}]")
_CJK_TAIL = re.compile(f"[{_CJK}]*\\Z")
_CJK_HEAD = re.compile(f"[{_CJK}]*")
# Unicode's format characters (category Cf): invisible, they must not split a word.
_FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_FORBIDDEN = re.compile("[\x00-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|NEAR)\b")
_WORDS_FILE = Path(__file__).with_name("search_words.txt")
_LONGEST = 4  # the dictionary's longest word, in characters
# Characters looked at on each side of an occurrence: enough that a word crossing its edge and the word next to that
# one are both seen whole (2 × _LONGEST - 1); a shorter window cuts the neighbour (心甘情愿 after 夫妇联手) and turns
# a clear cross-word occurrence into a tie, which keeps it.
_WINDOW = 2 * _LONGEST - 1


def normalize(text):
    """NFKC + casefold, format characters (zero-width spaces, BOM, soft hyphens) dropped."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if text.isascii():
        return text
    return _FORMAT_CHARACTERS.sub("", text)


def prepare(text):
    """How a document's text is kept: NFKC (full-width letters and digits half-width), format characters dropped,
    case kept for display. ``normalize`` of it is then just a casefold, which is cheap at query time."""
    text = unicodedata.normalize("NFKC", text or "")
    return text if text.isascii() else _FORMAT_CHARACTERS.sub("", text)


def is_cjk(run):
    return bool(_CJK_RUN.fullmatch(run))


def tokens(text):
    """The index tokens of a text (normalised here): bigrams and last characters of CJK runs, Latin/digit words."""
    found = []
    for run in _RUN.findall(normalize(text)):
        if is_cjk(run):
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
            found.append(run[-1])
        else:
            found.append(run[:MAX_WORD_LENGTH])
    return found


def document_tokens(*texts):
    """The distinct tokens of a document's parts, sorted (the index stores each once, without positions)."""
    return sorted({token for text in texts for token in tokens(text)})


# PostgreSQL keeps a document's tokens as an int4[] of codes with a GIN index: every pair of adjacent CJK characters
# and every Latin/digit word. A pair's code is made of the low 12 bits of each of its two characters (the CJK blocks
# hold about five characters per 12-bit value), which keeps the GIN index's keys fewer than the distinct pairs of a
# large corpus. The price: now and then two pairs share a code, so the database also finds every CJK word as a
# substring, and the checks here drop the rest. The codes are read from the UTF-16LE bytes of the text, with no Python
# loop over its characters.
_LITTLE_ENDIAN = sys.byteorder == "little"
# The high byte of a UTF-16 unit: its 4 low bits kept, marked with 0x10 (so a reduced character is never NUL).
_HIGH_BYTE = bytes([0] + [(byte & 0x0F) | 0x10 for byte in range(1, 256)])


def _reduced(point):
    """A character's low 12 bits, as a character of U+1000-U+1FFF."""
    return 0x1000 | (point & 0xFFF)


# A pair with a NUL half (a CJK character next to something else) is no pair of the text.
_NUL_PAIRS = frozenset([0, *range(0x1000, 0x2000), *(reduced << 16 for reduced in range(0x1000, 0x2000))])


def _int4s(data):
    """The little-endian int4s of ``data``."""
    values = array.array("i")
    values.frombytes(data[: len(data) // 4 * 4])
    if not _LITTLE_ENDIAN:
        values.byteswap()
    return values


def _pair_code(first, second):
    return _reduced(ord(second)) << 16 | _reduced(ord(first))


def code(token):
    """The code of a token: a pair of CJK characters, or a Latin/digit word."""
    if len(token) == 2 and is_cjk(token):
        return _pair_code(*token)
    value = zlib.crc32(token.encode("utf-8", "surrogatepass"))
    return value - (1 << 32) if value >= 1 << 31 else value


_TITLE_MARK = 0x2000


def title_code(token):
    """The code a token has when it is in a document's title (as well as its plain ``code``): a pair's code with bit
    13 set, which no plain pair code has (each half of a pair code is 0x1000-0x1FFF), a word's checksum taken with a
    prefix. So headline hits are found by the index, however many documents have the word elsewhere."""
    if len(token) == 2 and is_cjk(token):
        return _pair_code(*token) | _TITLE_MARK
    return code("\0title\0" + token)


def _text_codes(text):
    """The tokens of one casefolded text, as (its Latin/digit words, the codes of its CJK pairs)."""
    words = [word[:MAX_WORD_LENGTH] for word in _WORD_RUN.findall(text)]
    masked = _NOT_CJK.sub("\0", text)
    data = bytearray(masked.encode("utf-16-le"))
    if len(data) != 2 * len(masked):  # characters beyond the BMP (surrogate pairs): pair by pair
        pairs = {_pair_code(run[i], run[i + 1]) for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
        return words, pairs
    # The whole text at once: all but CJK becomes NUL, each CJK character its low 12 bits (in its high byte), and
    # every pair is read from the bytes (from even and from odd positions) as an int4: high half the second
    # character, low half the first.
    data[1::2] = data[1::2].translate(_HIGH_BYTE)
    pairs = set(_int4s(data))
    pairs.update(_int4s(data[2:]))
    return words, pairs.difference(_NUL_PAIRS)


def document_codes(title, *texts):
    """The distinct codes of a document (``prepare``d texts), sorted: every pair of adjacent CJK characters and every
    Latin/digit word of its title and its other parts, and the title's own ``title_code``s."""
    words, pairs = _text_codes((title or "").casefold())
    found = {*map(code, words), *pairs, *map(title_code, words), *(pair | _TITLE_MARK for pair in pairs)}
    for text in texts:
        words, pairs = _text_codes((text or "").casefold())
        found.update(map(code, words), pairs)
    return sorted(found)


# --- Queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word of a query: a run of CJK characters, or a Latin/digit word."""

    text: str

    @functools.cached_property
    def is_cjk(self):
        return is_cjk(self.text)

    @property
    def is_prefix(self):
        """A single CJK character: matched as the start of any token."""
        return self.is_cjk and len(self.text) == 1

    @property
    def codes(self):
        """PostgreSQL: the codes a document containing the word has (each pair of it; none for one character)."""
        if self.is_cjk:
            return [code(self.text[i : i + 2]) for i in range(len(self.text) - 1)]
        return [code(self.text)]

    @property
    def title_codes(self):
        """PostgreSQL: the codes a document with the word in its title has (none for one character)."""
        if self.is_cjk:
            return [title_code(self.text[i : i + 2]) for i in range(len(self.text) - 1)]
        return [title_code(self.text)]

    @property
    def tokens(self):
        if self.is_cjk:
            return [self.text] if len(self.text) == 1 else list(dict.fromkeys(tokens(self.text)[:-1]))
        return [self.text]


@dataclass
class Query:
    text: str  # the cleaned query, as shown back in the search box
    terms: list = field(default_factory=list)
    truncated: bool = False
    too_many_words: bool = False  # cut to its first MAX_TERMS words (``truncated`` too)
    # Digits or letters written against Chinese characters (30万, 24小时, 300人): found only as written, together.
    # As separate words, 30万 matched a story with 30名 in one place and 万 in another.
    phrases: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.terms)

    def codes(self):
        """PostgreSQL: the codes every matching document has (``grams @> codes``), distinct, sorted."""
        return sorted({value for term in self.terms for value in term.codes})

    def substrings(self):
        """CJK words the database must find as they are (``strpos``/``instr``): the codes and FTS5 tokens only say
        that a document has every pair of the word, somewhere."""
        return [term.text for term in self.terms if term.is_cjk]

    def fts5(self):
        """SQLite FTS5 MATCH expression: every token as a quoted string (never user syntax), AND-ed."""
        parts = []
        for term in self.terms:
            for token in term.tokens:
                quoted = '"' + token.replace('"', '""') + '"'
                parts.append(quoted + "*" if term.is_prefix else quoted)
        return " AND ".join(parts)


def clean_query(raw):
    """The query as typed, made safe: control characters and NUL removed, spaces collapsed, cut to a sane length."""
    text = _FORBIDDEN.sub(" ", str(raw or ""))
    text = " ".join(text.split())
    truncated = len(text) > MAX_QUERY_LENGTH
    return text[:MAX_QUERY_LENGTH].strip(), truncated


def parse_query(raw):
    """Words of the query (operators, quotes, wildcards and parentheses are just separators)."""
    text, truncated = clean_query(raw)
    words = _OPERATORS.sub(" ", text)  # AND, OR, NOT, NEAR typed as search syntax are not words to find
    normalized = normalize(words)
    terms = list(dict.fromkeys(Term(run[:MAX_WORD_LENGTH]) for run in _RUN.findall(normalized)))
    too_many_words = len(terms) > MAX_TERMS
    if too_many_words:
        terms, truncated = terms[:MAX_TERMS], True
    kept = {term.text for term in terms}
    phrases = [phrase for phrase in _glued_runs(normalized) if all(part in kept for part in _RUN.findall(phrase))]
    return Query(
        text=text, terms=terms, truncated=truncated, too_many_words=too_many_words, phrases=list(dict.fromkeys(phrases))
    )


def _glued_runs(text):
    """The stretches of ``text`` where a run of digits or letters touches a run of CJK characters (30万, 24小时):
    ``_RUN`` splits them into words, but the reader typed them together."""
    glued, start, end, count = [], None, None, 0
    for match in _RUN.finditer(text):
        if match.start() == end:
            end, count = match.end(), count + 1
            continue
        if count > 1:
            glued.append(text[start:end])
        start, end, count = match.start(), match.end(), 1
    if count > 1:
        glued.append(text[start:end])
    return glued


# --- Checking and ranking candidates ------------------------------------------------------------


@functools.cache
def dictionary():
    with _WORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


# A split's cost as one integer, pieces × _PIECE + lone characters: fewest pieces first, then fewest lone characters
# (蒙古|国家|风险 beats 蒙古国|家风|险: a lone character is the sign of a forced split). A window is far shorter than
# _PIECE characters, so its lone characters never carry over into the pieces.
_PIECE = 128
_LONE = _PIECE + 1
# Characters that stand alone as words in running text (prepositions, conjunctions, particles): a lone one costs a
# piece, no more, so that 在|家门口 ties with 在家|门口 and the three-character word is found where it is written
# (家门口 in 让妇女在家门口就业 was refused).
_FREE_SINGLES = frozenset("在是的了和与及或把被从对向为让到给也都就还又将")


@functools.cache
def _inner_pairs():
    """Every pair of neighbouring characters inside a dictionary word. A word that crosses a position holds the two
    characters on either side of it: where that pair is not here, no dictionary word crosses."""
    return frozenset(word[i : i + 2] for word in dictionary() for i in range(len(word) - 1))


@functools.cache
def _longer_word_tails():
    """The last two characters of the dictionary's three- and four-character words, and the last three of its
    four-character ones: a longer word ending at a position is looked up only when its tail is one of these."""
    words = dictionary()
    return (
        frozenset(word[-2:] for word in words if len(word) > 2),
        frozenset(word[-3:] for word in words if len(word) > 3),
    )


@functools.lru_cache(maxsize=8192)
def _is_whole_word_in(window, s, e):
    """Is ``window[s:e]`` a word there? It is refused when the best split of the window into dictionary words, the
    query word (wherever it occurs) and lone characters is better than the best split that keeps it whole (no piece
    crossing s or e; a piece may hold all of it, as 株洲市 holds 株洲)."""
    pairs, length = _inner_pairs(), len(window)
    # Most occurrences have no dictionary word across their start or end: then nothing can refuse them.
    if (s == 0 or window[s - 1 : s + 1] not in pairs) and (e == length or window[e - 1 : e + 1] not in pairs):
        return True
    words = dictionary()
    crossing = any(
        window[i:j] in words
        for edge in (s, e)
        for i in range(max(0, edge - _LONGEST + 1), edge)
        for j in range(edge + 1, min(length, i + _LONGEST) + 1)
        if not (i <= s and e <= j)
    )
    if not crossing:
        return True
    size, extra = e - s, window[s:e]
    starts, at = [], window.find(extra)
    while at != -1:
        starts.append(at)
        at = window.find(extra, at + 1)
    # Only the stretch between the nearest cut points around the occurrence matters: every split breaks at a position
    # that no piece can cross (no word holds the pair on either side of it, no occurrence of the query word spans
    # it), and what lies beyond it costs the same whether the occurrence is kept whole or not.
    lo, hi = s, e
    while lo > 0 and (window[lo - 1 : lo + 1] in pairs or any(o < lo < o + size for o in starts)):
        lo -= 1
    while hi < length and (window[hi - 1 : hi + 1] in pairs or any(o < hi < o + size for o in starts)):
        hi += 1
    extra_ends = {o + size for o in starts if lo <= o and o + size <= hi}
    tails_of_longer, tails_of_four = _longer_word_tails()
    # best[k]: the cheapest split of window[lo:k]; kept[k]: the same with no piece crossing s or e.
    best, kept = [0] * (hi + 1), [0] * (hi + 1)
    for k in range(lo + 1, hi + 1):
        ends = []  # starts of the pieces (words, occurrences of the query word) ending at k
        if k - 2 >= lo:
            two = window[k - 2 : k]
            if two in words:
                ends.append(k - 2)
            if k - 3 >= lo and two in tails_of_longer:
                three = window[k - 3 : k]
                if three in words:
                    ends.append(k - 3)
                if k - 4 >= lo and three in tails_of_four and window[k - 4 : k] in words:
                    ends.append(k - 4)
        if k in extra_ends:
            ends.append(k - size)
        lone = _PIECE if window[k - 1] in _FREE_SINGLES else _LONE
        all_pieces, whole = best[k - 1] + lone, kept[k - 1] + lone
        for i in ends:
            all_pieces = min(all_pieces, best[i] + _PIECE)
            if k <= s or i >= e or (s <= i and k <= e) or (i <= s and e <= k):
                whole = min(whole, kept[i] + _PIECE)
        best[k], kept[k] = all_pieces, whole
    return kept[hi] <= best[hi]


def is_whole_word(text, start, end):
    """Is ``text[start:end]`` (CJK) a word there, not the end of one word and the start of the next?

    Looks at a few characters around it: the occurrence is refused only when the best segmentation of that
    window (common words plus the query word) needs a word that crosses the occurrence's start or end.
    """
    before = len(_CJK_TAIL.search(text, max(0, start - _WINDOW), start).group())
    after = len(_CJK_HEAD.match(text, end, end + _WINDOW).group())
    if not before and not after:
        return True
    return _is_whole_word_in(text[start - before : end + after], before, before + end - start)


def occurrences(text, term, limit=20):
    """Start offsets of ``term`` (a Term) in normalised ``text`` that count as matches, at most ``limit``."""
    found = []
    if term.is_cjk:
        word, size = term.text, len(term.text)
        start = text.find(word)
        while start != -1 and len(found) < limit:
            if size == 1 or is_whole_word(text, start, start + size):
                found.append(start)
                if len(found) == limit:
                    break  # no need to look further
            start = text.find(word, start + 1)
    else:
        pattern = f"(?<![^\\W_{_CJK}]){re.escape(term.text)}(?![^\\W_{_CJK}])"
        found = [match.start() for match in re.finditer(pattern, text)][:limit]
    return found


@dataclass
class Hit:
    """A candidate document checked against the query: ``ok`` if every word really occurs in it."""

    ok: bool
    in_title: int = 0  # query words found in the title (A)
    score: float = 0.0  # density of the matches, B counted twice, C once, plus freshness
    in_body: bool = False  # a word found in the body (C): only then is a snippet looked for in the body's text


def check(query, title, meta, body, age_days=0.0):
    """Check a candidate and score it: headline hits first, then density, then freshness."""
    parts = {"title": title, "meta": meta, "body": body}  # kept prepare()d
    if not all(term.is_cjk for term in query.terms):  # Chinese has no case: a long body need not be copied for it
        parts = {name: text.casefold() for name, text in parts.items()}
    counts = dict.fromkeys(parts, 0)
    in_title = 0
    for term in query.terms:
        found_any = False
        for name, text in parts.items():
            if term.is_cjk:
                # The density counts every occurrence (cheaply); one real occurrence is enough to keep the document.
                number = text.count(term.text)
                if not number or not occurrences(text, term, limit=1):
                    continue
            else:
                number = len(occurrences(text, term))
                if not number:
                    continue
            counts[name] += number
            found_any = True
            if name == "title":
                in_title += 1
        if not found_any:
            return Hit(ok=False)
    if not all(any(phrase in text for text in parts.values()) for phrase in query.phrases):
        return Hit(ok=False)
    length = len(parts["meta"]) + len(parts["body"]) + 1
    density = (2 * counts["meta"] + counts["body"]) / math.sqrt(length)
    freshness = 1 / (1 + max(age_days, 0) / 365)
    return Hit(ok=True, in_title=in_title, score=density + freshness, in_body=counts["body"] > 0)


# --- Highlighting -------------------------------------------------------------------------------


def _normalized_with_map(text):
    """Normalised text and, for each of its characters, the index in ``text`` it came from."""
    normalized = normalize(text)
    if len(normalized) == len(text):
        return normalized, None
    pieces, positions = [], []
    for index, character in enumerate(text):
        piece = normalize(character)
        pieces.append(piece)
        positions.extend([index] * len(piece))
    return "".join(pieces), positions


def snippet(texts, query, otherwise=""):
    """Safe HTML: the context of the query's first match in the first of ``texts`` that has one, highlighted; else the
    start of ``otherwise``. ``texts`` (an iterable, read only as far as needed) are what readers read, as written:
    the index's own texts are NFKC (half-width punctuation) and hold names and datelines. A snippet is one line."""
    for text in texts:
        if not text:
            continue
        text = one_line(text)
        normalized, positions = _normalized_with_map(text)
        if any(occurrences(normalized, term, limit=1) for term in query.terms):
            return highlight(text, query, snippet=True, normalized=(normalized, positions))
    return highlight(one_line(otherwise), query, snippet=True) if otherwise else ""


_LINE_BREAK = re.compile(r"[ \t]*\n\s*")
_CHINESE_OR_FULL_WIDTH = re.compile(f"[{_CJK}\u3000-\u303f\uff00-\uffef]")


def one_line(text):
    """``text``'s lines (paragraphs) run together: with nothing between them beside a Chinese character or a
    full-width mark (a browser shows a line break as a space: 家庭。 执委们), with a space between Latin words."""

    def joined(match):
        before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        chinese = _CHINESE_OR_FULL_WIDTH.match(before) or _CHINESE_OR_FULL_WIDTH.match(after)
        return "" if chinese or not before or not after else " "

    return _LINE_BREAK.sub(joined, text)


def highlight(text, query, snippet=False, normalized=None):
    """Safe HTML: ``text`` escaped, the query's matches wrapped in <mark>; with ``snippet``, only the context of the first
    match (or the start of the text). ``normalized`` is what ``_normalized_with_map(text)`` gives, when known."""
    text = text or ""
    normalized, positions = normalized or _normalized_with_map(text)
    spans = []
    for term in query.terms:
        for start in occurrences(normalized, term, limit=200):
            end = start + len(term.text)
            if positions is not None:
                start, end = positions[start], positions[end - 1] + 1
            spans.append((start, end))
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    lo, hi = 0, len(text)
    if snippet:
        first = merged[0][0] if merged else 0
        lo = max(0, first - SNIPPET_LENGTH // 3)
        hi = min(len(text), lo + SNIPPET_LENGTH)
    out = ["…" if lo > 0 else ""]
    position = lo
    for start, end in merged:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(html.escape(text[position:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    out.append(html.escape(text[position:hi]))
    out.append("…" if hi < len(text) else "")
    # Every piece of the text was escaped above; only our own <mark> tags are markup.
    return mark_safe("".join(out))  # noqa: S308  # nosec B308, B703
