"""Settings shared by every environment. Values that differ come from the environment."""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="anju-dev-only-secret-key-not-for-production-use-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "accounts",
    "estates",
    "billing",
    "property_services",
    "rentals",
    "cms",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_q",
    "axes",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.security.PrivatePagesCacheMiddleware",
    # Before the sessions: a cached public page is served without anything below running.
    "accounts.page_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "estates.admin_reports.ReportsForPlatformAdminsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so that a locked-out login never reaches the view.
    "axes.middleware.AxesMiddleware",
    # A signed-in person's cached portal pages (answers in process_view, so only the view is skipped).
    "accounts.page_cache.PersonPageCacheMiddleware",
]

# Content-Security-Policy (django-csp 4): the public site and the portal run only our own static
# scripts and styles (a template that needs an inline one uses request.csp_nonce). The back office
# (Wagtail's admin) needs inline scripts and styles; everything else is as strict. Proven by the
# browser journeys in tests/e2e/, which fail on any policy violation.
BACKOFFICE_PATH_PREFIX = "/admin/"
_CSP_COMMON = {
    "default-src": [SELF],
    "img-src": [SELF, "data:", "blob:"],
    "font-src": [SELF, "data:"],
    "connect-src": [SELF],
    "frame-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "frame-ancestors": [SELF],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {**_CSP_COMMON, "script-src": [SELF, NONCE], "style-src": [SELF, NONCE]},
}
CONTENT_SECURITY_POLICY_BACKOFFICE = {
    "DIRECTIVES": {**_CSP_COMMON, "script-src": [SELF, UNSAFE_INLINE], "style-src": [SELF, UNSAFE_INLINE]},
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Waiting on a lock beats failing with "database is locked" when the worker and
    # the web process write at the same moment.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Whole public pages for anonymous visitors (accounts/page_cache.py, docs/caching.md): the most
# seconds a page is kept after a change that sent no signal. 0 turns the cache off.
ANJU_PUBLIC_PAGE_CACHE_SECONDS = env.int("ANJU_PUBLIC_PAGE_CACHE_SECONDS", default=300)
# Paths never cached, not even looked up (only pages that opt in are stored; this saves the look-up).
ANJU_PUBLIC_PAGE_CACHE_SKIP = (
    "/healthz",
    "/admin/",
    "/portal/",
    "/accounts/",
    "/billing/",
    "/i18n/",
    "/language/",
    "/documents/",
)
# A signed-in person's portal home and bills, dropped on any write to these tables (from any process:
# needs the shared Redis cache, so off without REDIS_URL); the seconds bound what changes with the clock.
ANJU_PERSON_PAGE_CACHE_SECONDS = env.int("ANJU_PERSON_PAGE_CACHE_SECONDS", default=60 if REDIS_URL else 0)
ANJU_PERSON_PAGE_TABLES = ("accounts_", "estates_", "billing_", "property_services_", "rentals_")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/"

# Login throttling (accounts/throttling.py): five failures for one mobile number, from any
# addresses, lock the number for an hour; LOGIN_FAILURE_LIMIT_PER_ADDRESS failures from one
# address, over any numbers, lock that address for an hour.
AXES_HANDLER = "accounts.throttling.NumberLockHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=30)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)  # reverse proxies in front that set X-Forwarded-For
# axes warns when ip_address is not a lockout parameter; the per-address limit is kept by
# accounts.throttling.NumberLockHandler instead (as a lockout parameter it would share the
# number's limit of five, and a successful log-in would wipe the address's count).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.validators.axes_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = "zh-hans"
# Each language is named in its own script, whatever the page's language (the menu in
# templates/base.html shows these names untranslated: accounts.templatetags.languages).
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
# locale/ holds our own strings (scripts/translations.sh); locale_overrides/ holds Chinese for
# Django's and Wagtail's strings their catalogues leave untranslated (never touched by makemessages).
# Earlier paths win, and both win over the apps' own catalogues.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_overrides"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Every estate is in mainland China: people always see Beijing time (accounts.formats). With one
# choice Wagtail hides its per-user time-zone preference, which otherwise re-renders the back office
# in whatever zone a user once picked.
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_I18N_ENABLED = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

WAGTAIL_SITE_NAME = _("Anju")
WAGTAILADMIN_USER_LOGIN_FORM = "accounts.forms.BackOfficeLoginForm"  # its password label translated
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "txt", "xlsx", "zip"]
# Documents are served by Wagtail's view (never a direct link to the file) and always as a
# download, PDFs included: an uploaded file must not open as a page on our origin.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
# The admin loads nothing from other hosts: no Gravatar avatars, no release check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# django-q2 on the ORM broker: a task whose worker dies is delivered again (at least once),
# so every task is written to be idempotent. timeout < retry, as the library requires: a task
# running longer than Q_TIMEOUT seconds is stopped, and one taken by a worker that died is
# delivered again Q_RETRY seconds after it was taken (tests/ops/test_several_hosts.py sets both
# small so that a killed worker's task comes back in test time).
Q_TIMEOUT = env.int("Q_TIMEOUT", default=600)
Q_RETRY = env.int("Q_RETRY", default=900)
if not 0 < Q_TIMEOUT < Q_RETRY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"Q_TIMEOUT ({Q_TIMEOUT}) must be positive and less than Q_RETRY ({Q_RETRY}).")
Q_CLUSTER = {
    "name": "anju",
    "orm": "default",
    # The ORM broker, oldest task first: a killed worker's task is the next taken, not the last (config/task_broker.py).
    "broker_class": "config.task_broker.OldestFirstORM",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT,
    "retry": Q_RETRY,
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    # Successful tasks' results are not stored: nobody reads them, and the library's default (keep the last 250)
    # locks all 250 rows on every task's save, which serialised the workers (webhooks: 21 → 49 events/s on the ORM
    # broker, docs/benchmarks.md). Failures are still stored (admin: Django Q → Failed tasks).
    "save_limit": -1,
    "label": "Django Q",
}
# With REDIS_URL, tasks go through Redis instead (issue 16: faster, and no queue rows in PostgreSQL).
# Redis loses a task whose worker is killed: provider events are queued again by their sweep
# (billing.services.event_batches) and an unfinished billing run is resumed by starting it again.
if REDIS_URL:
    del Q_CLUSTER["orm"], Q_CLUSTER["broker_class"]  # broker_class would win over "redis"
    Q_CLUSTER["redis"] = REDIS_URL
# How many waiting provider events one task handles at most (one commit for the batch's payments).
ANJU_PROVIDER_EVENT_BATCH = env.int("ANJU_PROVIDER_EVENT_BATCH", default=50)
# Calls to the payment provider a batch makes at once (billing.services.common.provider_calls): network waits overlap.
ANJU_PROVIDER_CONCURRENCY = env.int("ANJU_PROVIDER_CONCURRENCY", default=8)

# Personal data (ID numbers, phones) is encrypted at rest with this key; a keyed digest makes
# exact look-ups possible without decrypting. Rotate by re-encrypting, never by just changing it.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# The signing secret of the Connect webhook endpoint (events about the payees' connected accounts).
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# The operator's own fee, a share of each payee's money kept when it is transferred (0.006 = 0.6 %);
# shown on receipts. 0 = no fee (docs/payments.md).
ANJU_PLATFORM_FEE_RATE = env.str("ANJU_PLATFORM_FEE_RATE", default="0")

# An owner's request to inspect a record (查阅: SPC interpretation on building ownership Art. 13) is answered
# within this many calendar days (14 ≈ 10 working days; no statutory limit was found: an operator setting).
ANJU_INSPECTION_ANSWER_DAYS = env.int("ANJU_INSPECTION_ANSWER_DAYS", default=14)

# Work orders (报修/投诉): no category's response or completion limit exceeds this many hours (720 = 30 days);
# a report carries at most this many photos of at most this many MB each (docs/work-orders.md).
ANJU_WORK_ORDER_MAX_HOURS = env.int("ANJU_WORK_ORDER_MAX_HOURS", default=720)
ANJU_WORK_ORDER_MAX_PHOTOS = env.int("ANJU_WORK_ORDER_MAX_PHOTOS", default=6)
ANJU_WORK_ORDER_PHOTO_MAX_MB = env.int("ANJU_WORK_ORDER_PHOTO_MAX_MB", default=8)
# A resolution the resident neither confirms nor rejects is confirmed after this many days; a confirmed
# order is closed this many days after (the daily task property_services.work_orders_settle_daily).
# Text messages (accounts.sms): a dotted path to a backend class with send(*, phone, message); the default logs.
ANJU_SMS_BACKEND = env.str("ANJU_SMS_BACKEND", default="accounts.sms.ConsoleSmsBackend")
# One-time codes by SMS (accounts.one_time_codes): minutes valid, seconds between two, per number and per
# address per hour, wrong tries before a code is spent.
ANJU_OTP_MINUTES = env.int("ANJU_OTP_MINUTES", default=10)
ANJU_OTP_RESEND_SECONDS = env.int("ANJU_OTP_RESEND_SECONDS", default=60)
ANJU_OTP_PER_NUMBER_HOUR = env.int("ANJU_OTP_PER_NUMBER_HOUR", default=5)
ANJU_OTP_PER_ADDRESS_HOUR = env.int("ANJU_OTP_PER_ADDRESS_HOUR", default=20)
ANJU_OTP_TRIES = env.int("ANJU_OTP_TRIES", default=5)
ANJU_WORK_ORDER_CONFIRM_DAYS = env.int("ANJU_WORK_ORDER_CONFIRM_DAYS", default=7)
ANJU_WORK_ORDER_CLOSE_DAYS = env.int("ANJU_WORK_ORDER_CLOSE_DAYS", default=7)

# 存房 (rentals): survey photos of an entrusted flat, and the city's limits on occupants (住房租赁条例 Art. 7: the
# city sets the occupants per room and the area per person; they are stated on every listing). The figures for
# Chongqing are the operator's to confirm against the city's current rules (see docs/rentals.md).
ANJU_RENTAL_MAX_PHOTOS = env.int("ANJU_RENTAL_MAX_PHOTOS", default=12)
ANJU_RENTAL_PHOTO_MAX_MB = env.int("ANJU_RENTAL_PHOTO_MAX_MB", default=8)
# 住房租赁条例 Art. 12: a lessor's notice for unpaid rent gives the tenant at least this many days to move.
ANJU_RENTAL_MOVE_OUT_DAYS = env.int("ANJU_RENTAL_MOVE_OUT_DAYS", default=15)
# Rent of pooled flats (docs/rentals.md): a cycle's bill is issued this many days before it is due; an unpaid bill
# gets a reminder this many days after its due date, with a cure period (Civil Code Art. 722) of CURE_DAYS; the
# sublet mode's owners are paid on this day of each month (or earlier, with the rent that funds the month).
ANJU_RENTAL_BILL_DAYS_AHEAD = env.int("ANJU_RENTAL_BILL_DAYS_AHEAD", default=7)
ANJU_RENTAL_REMINDER_AFTER_DAYS = env.int("ANJU_RENTAL_REMINDER_AFTER_DAYS", default=3)
ANJU_RENTAL_CURE_DAYS = env.int("ANJU_RENTAL_CURE_DAYS", default=15)
ANJU_RENTAL_PAYOUT_DAY = env.int("ANJU_RENTAL_PAYOUT_DAY", default=10)
ANJU_RENTAL_CITY = env.str("ANJU_RENTAL_CITY", default="chongqing")
ANJU_RENTAL_CITY_RULES = {
    "chongqing": {"name": "重庆市", "max_occupants_per_room": 2, "min_area_per_person": "5"},
}
# Rental applications: the priority categories and their weights (points) per city, and the points of each income
# band; placeholders for the operator to confirm with the city's housing bureau (docs/rentals.md).
ANJU_RENTAL_PRIORITY = {
    "chongqing": {
        "categories": {"none": 0, "new_citizen": 30, "young_people": 20, "key_worker": 40},
        "income_bands": {"low": 30, "middle": 15, "high": 0},
        "household_fit": 20,
    },
}

# Demo logins exist only where seeded; production turns the seeding command off.
DEMO_DATA_ALLOWED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"fontTools": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

# Personal data (accounts/personal_data.py): what each app holds about a person, for their own copy (PIPL Art. 45),
# and each app's log of staff viewing someone's full personal data, for platform administrators.
ANJU_PERSONAL_DATA_EXPORTERS = [
    "accounts.personal_data.account_record",
    "estates.personal_data.export",
    "billing.personal_data.export",
    "property_services.personal_data.export",
    "rentals.personal_data.export",
]
ANJU_PERSONAL_DATA_ACCESS_LOGS = ["estates.personal_data.access_log", "rentals.personal_data.access_log"]
