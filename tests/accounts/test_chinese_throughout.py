"""Chinese throughout (issue 10 item 3): in Chinese mode (zh-hans, the default) no English word of
our interface remains on the back office (/admin/) or the owners' portal, as each demo persona sees
them; the language menu names each language in its own script; English mode shows English menus."""

import html
import json
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from accounts.models import User
from tests.portal_pages import HTML_PAGES, ensure_payment_attempt, portal_pages

pytestmark = pytest.mark.django_db

#: Back-office personas of the demo (mobile → who).
BACK_OFFICE_PERSONAS = {
    "13900000000": "platform administrator",
    "13900000001": "property staff",
    "13900000002": "street officer",
    "13900000003": "committee member",
    "13900000004": "site editor",
}
PORTAL_PERSONAS = {"13800000001": "owner", "13900000003": "committee member and owner", "13700000001": "tenant"}

#: ASCII words a Chinese page may show: brands, formats, units, codes and the like.
ALLOWED = {
    "anju",
    "pdf",
    "excel",
    "xlsx",
    "csv",
    "stripe",
    "alipay",
    "wechat",
    "wagtail",
    "django",
    "json",
    "url",
    "id",
    "ok",
    "cny",
    "rmb",
    "m",
    "px",
    "kb",
    "mb",
    "gb",
    "www",
    "http",
    "https",
    "com",
    "cn",
    "org",
    "mailto",
    "am",
    "pm",
    "x",
    "h",
    "min",
    "ce",
    "javascript",
    "english",
    "admin",  # the /admin/ address shown on the login page
}
#: Data, not our interface: an English article of the demo site, Wagtail's default groups, workflow
#: and root page (their names are records an administrator may rename), host names.
DATA = [
    "Anju platform opens for residents of renovated estates",
    "Owners can pay property fees, vote in owners' assemblies and read public notices online.",
    "The Anju platform brings property services, billing, owners' assemblies and public notices of renovated "
    "old estates together in one place.",
    "Residents log in with their mobile number. Case studies show what each renovation delivered and who paid.",
    "Moderators approval",
    "Moderators",
    "Editors",
    "Root",
    "localhost",
]
#: Ledger memos are stored accounting records written by billing.services ("payment 33 for PF…").
LEDGER_MEMO = re.compile(r"\b(?:payment|refund|bill|void|write-off) [\w-]+(?: (?:of payment|for) [\w-]+)*")
#: Wagtail's own pages whose column headings Wagtail does not pass through gettext (platform admin only).
NOT_TRANSLATABLE = re.compile(r"^/admin/sites/|^/admin/reports/aging-pages/")
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"', re.I)
SKIP = re.compile(
    r"/(logout|delete|unpublish|revisions/\d+/revert|lock|unlock|copy|move|workflow|history/\d+)|\.(pdf|xlsx|csv)$|/export|/download|/receipt|/letter|format=",
    re.I,
)
MAX_PAGES_PER_PERSONA = 140


def visible_text(markup: str) -> str:
    """What a reader sees: no scripts (but the sidebar's menu labels), styles, tags or attributes."""
    labels = []
    for props in re.findall(r'<script[^>]*id="wagtail-sidebar-props"[^>]*>(.*?)</script>', markup, re.S):
        labels += re.findall(r'"label":\s*"((?:[^"\\]|\\.)*)"', props)
    text = re.sub(r"<(script|style|template|svg)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<(\w+)\b[^>]*\shidden[\s>][^<]*</\1>", " ", text)  # hidden leaf elements
    titles = re.findall(r'\s(?:title|aria-label|placeholder)="([^"]*)"', text)
    text = re.sub(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""", " ", text)
    return html.unescape(" ".join([text, *titles, *(json.loads(f'"{label}"') for label in labels)]))


def english_words(text: str) -> set[str]:
    """ASCII words of three letters or more that are not brands, codes, e-mail addresses or URLs."""
    text = LEDGER_MEMO.sub(" ", text)
    text = re.sub(r"\S+@\S+|https?://\S+|\b\w*\d\w*\b", " ", text)
    for phrase in DATA:
        text = re.sub(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", " ", text)
    words = set()
    for word in re.findall(r"(?<![\w.-])[A-Za-z][A-Za-z'’]+(?![\w.-])", text):
        if len(word) >= 3 and word.lower() not in ALLOWED and not word.isupper():
            words.add(word)
    return words


def _links(markup: str, prefix: str) -> list[str]:
    """Links of the page and of the back office's menu (whose items are JSON in a script)."""
    links = []
    menu = re.findall(
        r'"url":\s*"(/[^"]*)"', "".join(re.findall(r'<script[^>]*id="wagtail-sidebar-props"[^>]*>(.*?)</script>', markup, re.S))
    )
    for href in HREF.findall(markup) + menu:
        href = urldefrag(html.unescape(href))[0]
        if href.startswith(prefix) and not SKIP.search(href):
            links.append(href)
    return links


def _pattern(url: str) -> str:
    """One page per kind: /admin/billing/invoice/edit/12/ and …/edit/13/ are the same page."""
    path = urlsplit(url).path
    return re.sub(r"\d+", "N", path) + ("?" if urlsplit(url).query else "")


def crawl(client, start: list[str], prefix: str, limit: int):
    queue, seen, patterns, found = deque(start), set(start), set(), {}
    while queue and len(patterns) < limit:
        url = queue.popleft()
        if _pattern(url) in patterns:
            continue
        patterns.add(_pattern(url))
        if NOT_TRANSLATABLE.search(url):
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        markup = response.content.decode()
        words = english_words(visible_text(markup))
        title = re.search(r"<title>\s*(.*?)\s*</title>", markup, re.S)
        if prefix == "/admin/" and urlsplit(url).path != "/admin/" and title and title.group(1).startswith("首页"):
            words.add(f"<title>{title.group(1)}</title>")  # an action page titled like the dashboard
        if words:
            found[url] = sorted(words)
        for link in _links(markup, prefix):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return found, patterns


def test_back_office_shows_no_english_in_chinese_mode(demo, client):
    report = {}
    for mobile, persona in BACK_OFFICE_PERSONAS.items():
        client.force_login(User.objects.get(mobile=mobile))
        found, crawled = crawl(client, ["/admin/"], "/admin/", MAX_PAGES_PER_PERSONA)
        assert len(crawled) > 3, persona
        for url, words in found.items():
            report[f"{persona}: {url}"] = words
        client.logout()
    client.get("/admin/login/")
    found, _crawled = crawl(client, ["/admin/login/"], "/admin/login", 1)
    report.update({f"anonymous: {url}": words for url, words in found.items()})
    assert report == {}


def test_portal_and_public_site_show_no_english_in_chinese_mode(demo, client):
    report = {}
    for mobile, persona in PORTAL_PERSONAS.items():
        user = User.objects.get(mobile=mobile)
        ensure_payment_attempt(user)
        client.force_login(user)
        start = [url for name, urls in portal_pages(user).items() if name in HTML_PAGES for url in urls]
        found, _crawled = crawl(client, start, "/portal/", 60)
        report.update({f"{persona}: {url}": words for url, words in found.items()})
        client.logout()
    found, _crawled = crawl(client, ["/", "/accounts/login/"], "/", 40)
    report.update({f"anonymous: {url}": words for url, words in found.items()})
    assert report == {}


def test_back_office_login_page_is_titled_for_anju_in_chinese(client):
    """The Wagtail sign-in page: our name in its heading and title, 密码 as the password label."""
    markup = client.get("/admin/login/").content.decode()
    assert "Wagtail" not in re.search(r"<h1>(.*?)</h1>", markup, re.S).group(1)
    assert "Wagtail" not in re.search(r"<title>(.*?)</title>", markup, re.S).group(1)
    assert english_words(visible_text(markup)) == set()
    assert "密码" in visible_text(markup)


def _language_menu(markup: str) -> dict[str, str]:
    menu = re.search(r'<select id="lang-select".*?</select>', markup, re.S).group(0)
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', menu))


def test_language_menu_names_each_language_in_its_own_script_in_both_modes(client):
    """中文 and English, whatever the page's language (English used to read 英语 in Chinese mode)."""
    chinese = client.get("/accounts/login/")
    assert _language_menu(chinese.content.decode()) == {"zh-hans": "中文", "en": "English"}
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    english = client.get("/accounts/login/")
    assert english.content.decode().startswith("<!DOCTYPE html>") or '<html lang="en">' in english.content.decode()
    assert _language_menu(english.content.decode()) == {"zh-hans": "中文", "en": "English"}


def test_english_mode_shows_english_menus_in_the_back_office_and_portal(demo, client):
    """English mode translates the menus too: the back office's menu and the portal's tabs in English."""
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    staff = User.objects.get(mobile="13900000001")
    client.force_login(staff)
    labels = visible_text(client.get("/admin/").content.decode())
    assert "Bills" in labels and "账单" not in labels
    owner = User.objects.get(mobile="13800000001")
    client.force_login(owner)
    markup = client.get("/portal/").content.decode()
    tabs = re.findall(r"</span>\s*([^<]+?)\s*</a>", re.search(r'<nav class="tabbar".*?</nav>', markup, re.S).group(0))
    assert tabs == ["Home", "Pay", "Vote", "Notices", "Me"]
