"""The admin site: Django's, with the newsroom's models listed in the order of a working day (the stories first)
rather than by the code points of their Chinese names (专题, 回收站, 图片 … 稿件 sixth)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# Stories and what goes with them, then the people and places they name, then the newsroom's vocabularies.
MODEL_ORDER = [
    "article",
    "photo",
    "frontpageslot",
    "sharelink",
    "trashedarticle",
    "reporter",
    "organization",
    "topic",
    "section",
    "bylinerole",
    "watchword",
]


class NewsroomAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] == "articles":
                app["models"].sort(key=lambda entry: _position(entry["object_name"].lower()))
        apps.sort(key=lambda app: app["app_label"] != "articles")  # the newsroom's own models before the logins
        return apps


def _position(model_name):
    return MODEL_ORDER.index(model_name) if model_name in MODEL_ORDER else len(MODEL_ORDER)


class NewsroomAdminConfig(AdminConfig):
    default_site = "articles.admin_site.NewsroomAdminSite"
