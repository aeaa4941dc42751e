"""Static files: CKEditor 5 from the npm package, recent enough; the site's icon."""

import re

from django.contrib.staticfiles import finders

MINIMUM_CKEDITOR = (48, 5, 1)


def ckeditor_version(source):
    """The version CKEditor 5 announces as ``CKEDITOR_VERSION``, read from its UMD build.

    The build assigns a constant to the global (``globalThis.CKEDITOR_VERSION=Se``) and defines that constant as a
    string literal (``let Se=`48.5.2```); follow the name rather than trusting the first version-like string.
    """
    assignment = re.search(r"globalThis\.CKEDITOR_VERSION\s*=\s*([\w$]+)", source)
    assert assignment, "CKEDITOR_VERSION is not set in the build"
    name = re.escape(assignment.group(1))
    literal = re.search(rf"(?<![\w$.]){name}\s*=\s*[`'\"](\d+)\.(\d+)\.(\d+)[`'\"]", source)
    assert literal, f"no version literal for {assignment.group(1)}"
    return tuple(int(part) for part in literal.groups())


def test_ckeditor_version_is_read_from_the_build_marker():
    source = "let xe=`1.2.3`,Se=`48.5.2`,Ce=new Date(2026,5,2);globalThis.CKEDITOR_VERSION=Se;"
    assert ckeditor_version(source) == (48, 5, 2)


def test_served_ckeditor_is_48_5_1_or_newer():
    path = finders.find("vendor/ckeditor5/ckeditor5.umd.js")
    assert path, "CKEditor 5 is not found by the static files finders (run npm ci)"
    with open(path, encoding="utf-8") as build:
        version = ckeditor_version(build.read())
    assert version >= MINIMUM_CKEDITOR, f"CKEditor {'.'.join(map(str, version))} is older than 48.5.1"


def test_ckeditor_chinese_translation_and_styles_are_served():
    for name in ["vendor/ckeditor5/translations/zh-cn.umd.js", "vendor/ckeditor5/ckeditor5.css", "js/ckeditor-init.js"]:
        assert finders.find(name), name


def test_favicon_ico_leads_to_the_sites_logo(client, settings):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's), and so do feed readers."""
    response = client.get("/favicon.ico")

    assert response.status_code == 302  # not kept for good: the hashed name changes with the logo
    assert response["Location"] == settings.STATIC_URL + "img/logo.svg"  # the hashed name in production
    assert finders.find("img/logo.svg")
