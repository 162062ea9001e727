from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "config.test_storage.InMemoryStorageWithoutPath"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in the caller (set here: override_settings has no effect on django-q2's sync flag).
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Test databases are thrown away: a commit need not wait for the disk (the PostgreSQL pass of
    # `make test` commits after every transactional test and every request to live_server).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
