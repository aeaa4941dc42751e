"""An editor's browser on the real admin over plain HTTP, for the cluster tests.

Like bench/editor.py (whose FormParser reads a form's fields as a browser would submit them): a session and CSRF
token kept by hand, every field of a form read from the page and posted back with the editor's changes, multipart
for files, the admin's autocomplete for the fields a browser fills through select2, and the workflow buttons of the
article's change page posted as their own forms.
"""

import html
import json
import re
import urllib.parse

import requests

from bench.editor import FormParser, set_field


class AdminForm(FormParser):
    """One form of a page: its fields (as a browser submits them), its action, and the options of its selects."""

    def __init__(self, form_id):
        super().__init__(form_id)
        self.found = False
        self.action = None
        self.options = {}  # select name: [(value, label)]

    def handle_starttag(self, tag, attrs):
        if tag == "form" and dict(attrs).get("id") == self.form_id:
            self.found = True
            self.action = dict(attrs).get("action")
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None:
            self.options[self.select[0]] = [
                (value if value is not None else label, label.strip()) for value, _selected, label in self.select[2]
            ]
        super().handle_endtag(tag)

    def choice(self, select, label):
        """The value of the option of ``select`` shown as ``label``."""
        for value, text in self.options.get(select, []):
            if text == label:
                return value
        raise AssertionError(f"no option {label!r} in {select}: {self.options.get(select)}")

    def set(self, name, value):
        self.fields = set_field(self.fields, name, value)


class Browser:
    """HTTP with the cookies kept by hand: the cluster runs production settings, whose cookies are marked Secure,
    so requests would hold them back over http. Redirects are returned, not followed."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}

    def request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if method == "POST":
            headers.setdefault("Origin", self.base)  # what a browser sends with a form; Django checks it
            headers.setdefault("Referer", self.base + path)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            name, value = name.strip(), value.strip()
            if "max-age=0" in header.lower() or value in ("", '""'):  # deleted (read messages, logout)
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def page(self, path):
        response = self.request("GET", path)
        assert response.status_code == 200, (path, response.status_code, response.headers.get("Location"))
        return response.text

    def form(self, path, form_id):
        page = self.page(path)
        form = AdminForm(form_id)
        form.feed(page)
        assert form.found, f"no form #{form_id} on {path}"
        return form

    def submit(self, path, form, files=None):
        """Post ``form`` back to ``path`` (multipart when there are files); the response, redirect not followed."""
        return self.request("POST", path, data=form.fields, files=files)

    def autocomplete(self, model_name, field_name, term):
        """What select2 offers when the editor types ``term`` into an autocomplete field: [(id, text)]."""
        query = urllib.parse.urlencode(
            {"term": term, "app_label": "articles", "model_name": model_name, "field_name": field_name}
        )
        response = self.request("GET", f"/admin/autocomplete/?{query}")
        assert response.status_code == 200, (model_name, field_name, response.status_code)
        return [(item["id"], item["text"]) for item in json.loads(response.text)["results"]]


def login(browser, username, password):
    form = browser.form("/admin/login/", "login-form")
    form.set("username", username)
    form.set("password", password)
    response = browser.submit("/admin/login/?next=/admin/", form)
    assert response.status_code == 302 and "sessionid" in browser.cookies, errors(response.text)


def save_and_continue(browser, path, form, files=None):
    """Post ``form`` with "Save and continue editing" and follow to the new object's change page, as a browser
    would (its message is read there); that page's path."""
    form.set("_continue", "1")
    response = browser.submit(path, form, files=files)
    assert response.status_code == 302, f"POST {path}: {response.status_code} {errors(response.text)}"
    location = urllib.parse.urlsplit(response.headers["Location"]).path
    assert re.fullmatch(r"/admin/articles/\w+/\d+/change/", location), location
    page = browser.page(location)
    assert [level for level, _text in messages(page)] == ["success"], messages(page)
    return location


def errors(page):
    """The admin's error notes on a form page that was not saved, as plain text."""
    notes = re.findall(r'<(?:p|ul) class="error(?:note|list)[^"]*"[^>]*>(.*?)</(?:p|ul)>', page, re.S)
    return " | ".join(html.unescape(re.sub(r"<[^>]+>", " ", note)).strip() for note in notes)[:1000]


def messages(page):
    """The admin's messages on a page: [(level, text)]."""
    return [
        (level, html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
        for level, text in re.findall(r'<li class="(success|info|warning|error)">(.*?)</li>', page, re.S)
    ]


def workflow_step(browser, change_path, action):
    """Press the workflow button ``action`` that the article's change page offers; the page afterwards."""
    form = browser.form(change_path, f"workflow-{action}")
    response = browser.submit(form.action, form)
    assert response.status_code == 302, (action, response.status_code, response.text[:500])
    assert urllib.parse.urlsplit(response.headers["Location"]).path == change_path
    return browser.page(change_path)


def workflow_buttons(page):
    """The workflow steps a change page offers (the ids of its workflow forms)."""
    return re.findall(r'<form method="post" action="[^"]+" class="form-row workflow-action" id="workflow-(\w+)"', page)
