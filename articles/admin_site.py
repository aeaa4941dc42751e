"""The admin site: Django's, with the newsroom's models listed in the order of a working day (the stories first)
rather than by the code points of their Chinese names (专题, 回收站, 图片 … 稿件 sixth); and Chinese names for the
groups of the installed apps that have none (django-axes, django-tasks-db)."""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig as TasksDatabaseAppConfig

# The newsroom's own models, then the logins, then what only the site's administrator looks into.
APP_ORDER = ["articles", "auth", "axes", "django_tasks_database"]

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


class FullWidthStops:
    """A ModelAdmin's messages without the space Django puts between two sentences it joins ("… was added
    successfully." + " " + "You may edit it again below."): after a full-width stop a space is a gap
    (栏目“要闻”已添加。你可以在下面继续编辑。)."""

    def message_user(self, request, message, *args, **kwargs):
        joined = str(message).replace("。 ", "。")
        # As safe as it was: only a space is taken out.
        message = mark_safe(joined) if isinstance(message, SafeString) else joined  # noqa: S308  # nosec B308, B703
        return super().message_user(request, message, *args, **kwargs)


# The permissions every model gets, by the first word of their codename ("add_article"). Django stores their names
# in English when migrate makes them ("Can add article"), and a page shows the stored name.
DEFAULT_PERMISSION_NAMES = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission):
    """A permission as the user and group pages list it, in the language of the page: "采编内容 | 稿件 | 可以添加稿件"
    (Django's own label is its content type and its stored, English name: "采编内容 | 稿件 | Can add article")."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in DEFAULT_PERMISSION_NAMES and model_name == model._meta.model_name:
        name = DEFAULT_PERMISSION_NAMES[action] % {"name": model._meta.verbose_name}
    else:  # a permission of the model's Meta.permissions: its name is a message of the catalog
        name = gettext(permission.name)
    return f"{permission.content_type} | {name}"


class ChinesePermissionNames:
    """A ModelAdmin whose choosers of permissions (the user and group pages) name each with ``permission_label``."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model._meta.label == "auth.Permission":
            field.label_from_instance = permission_label
        return field


class NewsroomAutocompleteView(AutocompleteJsonView):
    """Django's answers to the autocomplete boxes, each result labelled by its model admin's ``autocomplete_label``
    when it has one (a reporter with where she works: two 王明 of two papers are told apart)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class NewsroomAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return NewsroomAutocompleteView.as_view(admin_site=self)(request)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model's admin (ours, django.contrib.auth's, the installed apps') speaks with ``FullWidthStops`` and
        names permissions with ``ChinesePermissionNames``."""
        admin_class = admin_class or admin.ModelAdmin
        for mixin in (FullWidthStops, ChinesePermissionNames):
            if not issubclass(admin_class, mixin):
                admin_class = type(admin_class.__name__, (mixin, admin_class), {"__module__": admin_class.__module__})
        return super().register(model_or_iterable, admin_class, **options)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] == "articles":
                app["models"].sort(key=lambda entry: _position(entry["object_name"].lower()))
        apps.sort(key=lambda app: _app_position(app["app_label"]))
        return apps


def _position(model_name):
    return MODEL_ORDER.index(model_name) if model_name in MODEL_ORDER else len(MODEL_ORDER)


def _app_position(app_label):
    return APP_ORDER.index(app_label) if app_label in APP_ORDER else len(APP_ORDER)


class NewsroomAdminConfig(AdminConfig):
    default_site = "articles.admin_site.NewsroomAdminSite"


class NewsroomAxesConfig(AxesAppConfig):
    """django-axes (login attempts, failures and records), named in Chinese: the app has no catalog (it was Axes)."""

    verbose_name = _("Login protection")


class NewsroomTasksDatabaseConfig(TasksDatabaseAppConfig):
    """django-tasks-db's queue of background jobs, named in Chinese (it was Tasks Database Backend)."""

    verbose_name = _("Background jobs")
