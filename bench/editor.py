"""An editor at work during `make loadtest`: logs in through the real admin over HTTP and edits and publishes.

    python bench/editor.py --url http://127.0.0.1:8000 --user U --password P --articles 12,13,14 \
        --seconds 60 --log edits.json

Like a browser: a real session and CSRF token (cookies kept by hand, so the production settings' Secure cookies
are sent over the benchmark's plain HTTP), every field of the change form read from the page and posted back as
the browser would (inline formsets, hidden fields, the edit counter that guards against lost edits), one action
about every ``--interval`` seconds: open a story, change its headline and add a paragraph with a unique marker,
save; a draft is then published through the workflow button's URL. After each save of a published story it reads
the public page as an anonymous reader and notes whether the new headline is already there (the page cache must
never be stale). Writes a JSON log of every edit (article, marker, headline, result) for bench/loadtest.py to
check against the database. Standard library only.
"""

import argparse
import html
import http.client
import json
import sys
import time
import urllib.parse
from html.parser import HTMLParser


class FormParser(HTMLParser):
    """The fields of one <form> as a browser would submit them (no submit buttons, no files)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []  # (name, value) in document order
        self.textarea = None
        self.select = None  # [name, multiple, options: [(value, selected)]]
        self.option = None
        self.csrf = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.csrf is None:
            self.csrf = attrs.get("value")
        if tag == "form":
            self.inside = self.form_id is None or attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
                return
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select = [name, "multiple" in attrs, []]
        elif tag == "option" and self.select is not None:
            self.option = [attrs.get("value"), "selected" in attrs, ""]
            self.select[2].append(self.option)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        elif self.option is not None:
            self.option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            value = self.textarea[1]
            self.fields.append((self.textarea[0], value[1:] if value.startswith("\n") else value))
            self.textarea = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            name, multiple, options = self.select
            values = [(v if v is not None else text) for v, selected, text in options if selected]
            if not values and not multiple and options:
                first = options[0]
                values = [first[0] if first[0] is not None else first[2]]
            self.fields += [(name, value) for value in values]
            self.select = None


class Browser:
    """HTTP/1.1 with a cookie jar by hand; redirects are returned, not followed."""

    def __init__(self, base_url, timeout=30):
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self.timeout = timeout
        self.cookies = {}
        self.connection = None
        self.statuses = {}

    def request(self, method, path, fields=None, cookies=True):
        body, headers = None, {"User-Agent": "newsroom-loadtest-editor"}
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        if cookies:
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if "max-age=0" in value.lower() or val == '""':
                        self.cookies.pop(key.strip(), None)
                    else:
                        self.cookies[key.strip()] = val.strip()
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, response.getheader("Location") or "", data.decode("utf-8", "replace")

    def form(self, path, form_id):
        status, _, page = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        parser = FormParser(form_id)
        parser.feed(page)
        return parser


def login(browser, username, password):
    form = browser.form("/admin/login/", "login-form")
    fields = dict(form.fields)
    fields.update(username=username, password=password, next="/admin/")
    status, location, page = browser.request("POST", "/admin/login/", list(fields.items()))
    if status != 302 or "sessionid" not in browser.cookies:
        raise SystemExit(f"login failed: {status} {location} {page[:300]}")


def set_field(fields, name, value):
    replaced = False
    result = []
    for key, old in fields:
        if key == name:
            if not replaced:
                result.append((key, value))
                replaced = True
        else:
            result.append((key, old))
    if not replaced:
        result.append((name, value))
    return result


def error_text(page):
    """The admin's error notes of a form page that was not saved, as plain text (short)."""
    notes = []
    for marker in ('class="errornote"', 'class="errorlist'):
        start = page.find(marker)
        if start != -1:
            notes.append(html.unescape(page[start : start + 400]))
    return " | ".join(notes)[:600]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--articles", required=True, help="comma-separated ids of the stories to work on")
    parser.add_argument("--drafts", default="", help="which of them are drafts, to publish after their first edit")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    ids = [int(pk) for pk in args.articles.split(",")]
    drafts = {int(pk) for pk in args.drafts.split(",") if pk}
    browser = Browser(args.url)
    reader = Browser(args.url)
    login(browser, args.user, args.password)
    log = {"edits": [], "publishes": [], "stale_reads": 0, "fresh_reads": 0, "errors": []}
    deadline = time.monotonic() + args.seconds
    number = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        pk = ids[number % len(ids)]
        number += 1
        change = f"/admin/articles/article/{pk}/change/"
        marker = f"LT{number:05d}"
        try:
            form = browser.form(change, "article_form")
            fields = form.fields
            values = dict(fields)
            base = values.get("headline", "").split("（更新", 1)[0]
            headline = f"{base}（更新{number}）"
            body = values.get("body", "") + f"<p>负载测试编辑记录 {marker}。</p>"
            fields = set_field(fields, "headline", headline)
            fields = set_field(fields, "body", body)
            fields = set_field(fields, "_continue", "1")
            status, location, page = browser.request("POST", change, fields)
            saved = status == 302
            log["edits"].append(
                {"article": pk, "marker": marker, "headline": headline, "saved": saved, "status": status}
            )
            if not saved:
                log["errors"].append(f"edit {marker} of {pk}: {status} {error_text(page)}")
                continue
            if pk in drafts:
                # The workflow's buttons: a draft is submitted for review, then the editor publishes it.
                token = [("csrfmiddlewaretoken", form.csrf or "")]
                for step in ("submit", "publish"):
                    status, _, _ = browser.request("POST", f"/admin/articles/article/{pk}/workflow/{step}/", token)
                    if status != 302:
                        log["errors"].append(f"{step} {pk}: {status}")
                messages = browser.request("GET", change)[2]
                if 'class="error"' in messages:
                    start = messages.find('class="error"')
                    log["errors"].append(f"publish {pk}: {html.unescape(messages[start : start + 300])}")
                log["publishes"].append({"article": pk, "after": marker, "status": status})
                drafts.discard(pk)
            # The public page, as an anonymous reader (no cookies): the new headline must be there at once.
            status, _, page = reader.request("GET", f"/articles/{pk}/", cookies=False)
            if status == 200 and (html.escape(headline, quote=False) in page or headline in page):
                log["fresh_reads"] += 1
            elif status == 200:
                log["stale_reads"] += 1
                log["errors"].append(f"stale public page of {pk} after edit {marker}")
            else:
                log["errors"].append(f"public page of {pk} after edit {marker}: {status}")
        except Exception as error:  # noqa: BLE001 (reported, and the loop goes on like an editor would)
            log["errors"].append(f"{marker} on {pk}: {type(error).__name__}: {error}")
        time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    log["statuses"] = {str(k): v for k, v in sorted(browser.statuses.items())}
    with open(args.log, "w", encoding="utf-8") as out:
        json.dump(log, out, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
