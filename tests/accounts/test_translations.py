"""The Chinese (zh-hans, the default language) catalogue is complete, compiled and used; English on request.

The catalogue is locale/zh_Hans/LC_MESSAGES/django.po (+ django.mo); scripts/translations.sh updates
and compiles it. A string added to the code without a translation fails
test_every_msgid_in_the_code_has_a_translation.
"""

import ast
import gettext
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import Role
from estates.services import role_grant
from tests.estates.factories import UnitFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]
PO_PATH = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# printf-style and brace placeholders and HTML tags: a translation must keep every one of them.
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdif]|%%|%[sdif]|\{[A-Za-z_0-9]*\}|<[^>]+>")


# --- a tiny .po reader ------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        return [self.msgstr.get(i, "") for i in range(max(1, len(self.msgstr)))]

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    def where(self) -> str:
        return self.references[0] if self.references else "?"


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file: keywords, multi-line strings, flags and references (enough for ours)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int | None] | None = None
    started = False

    def finish():
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            started = True
            continue
        if line.startswith("#,"):
            if started and target is not None:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#:"):
            if started and target is not None:
                finish()
            entry.references += line[2:].split()
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if match:
            keyword, index, literal = match.groups()
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
            started = True
            target = (keyword, int(index) if index is not None else None)
            value = ast.literal_eval(literal)
        elif line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
        else:
            raise ValueError(f"{path}: cannot read line {raw!r}")
        keyword, index = target
        if keyword == "msgstr":
            entry.msgstr[index or 0] = entry.msgstr.get(index or 0, "") + value
        elif keyword == "msgid":
            entry.msgid += value
        elif keyword == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        else:
            entry.msgctxt = (entry.msgctxt or "") + value
    finish()
    return [e for e in entries if not e.obsolete]


def problems(entries: list[Entry]) -> list[str]:
    """Untranslated, fuzzy or placeholder-breaking entries, one line each."""
    found = []
    for e in entries:
        if "fuzzy" in e.flags:
            found.append(f"fuzzy: {e.msgid!r} ({e.where()})")
        if e.is_header:
            continue
        if not all(e.translations):
            found.append(f"untranslated: {e.msgid!r} ({e.where()})")
            continue
        source = Counter(PLACEHOLDER.findall(e.msgid))
        if e.msgid_plural is None:
            if Counter(PLACEHOLDER.findall(e.translations[0])) != source:
                found.append(f"placeholders differ: {e.msgid!r} -> {e.translations[0]!r}")
        else:
            # Chinese has one plural form: it carries the placeholders of the English plural.
            wanted = set(PLACEHOLDER.findall(e.msgid_plural or ""))
            for text in e.translations:
                if set(PLACEHOLDER.findall(text)) != wanted:
                    found.append(f"placeholders differ: {e.msgid!r} -> {text!r}")
    return found


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return read_po(PO_PATH)


# --- the catalogue ----------------------------------------------------------------------------


def test_the_reader_sees_what_an_untranslated_or_fuzzy_entry_looks_like(tmp_path):
    # The checks below are only as good as the reader: a broken reader would pass anything.
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgid "Estates"\nmsgstr "小区"\n\n'
        '#: a.py:2\nmsgid ""\n"Brand new "\n"string"\nmsgstr ""\n\n'
        '#: a.py:3\n#, fuzzy, python-format\nmsgid "Bill %(number)s updated."\nmsgstr "账单 %(number)s 已更新。"\n\n'
        '#: a.py:4\n#, python-format\nmsgid "Welcome, %(name)s"\nmsgstr "欢迎您"\n\n'
        '#: a.py:5\nmsgctxt "ballot choice"\nmsgid "Yes"\nmsgstr "赞成"\n\n'
        '#: a.py:6\nmsgid "one bill"\nmsgid_plural "%(counter)s bills"\nmsgstr[0] ""\n',
        encoding="utf-8",
    )
    entries = read_po(sample)
    assert [e.msgid for e in entries] == [
        "",
        "Estates",
        "Brand new string",
        "Bill %(number)s updated.",
        "Welcome, %(name)s",
        "Yes",
        "one bill",
    ]
    assert entries[5].key == "ballot choice\x04Yes"
    assert problems(entries) == [
        "untranslated: 'Brand new string' (a.py:2)",
        "fuzzy: 'Bill %(number)s updated.' (a.py:3)",
        "placeholders differ: 'Welcome, %(name)s' -> '欢迎您'",
        "untranslated: 'one bill' (a.py:6)",
    ]


def test_the_catalogue_is_complete_and_keeps_every_placeholder(catalogue):
    header = next(e for e in catalogue if e.is_header)
    assert "nplurals=1; plural=0;" in header.translations[0]
    assert "charset=UTF-8" in header.translations[0]
    assert len(catalogue) > 800  # our own msgids, not an empty or truncated file
    assert problems(catalogue) == []


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    # django.mo is what Django reads: a .po edited without `scripts/translations.sh compile` must fail.
    with MO_PATH.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    missing_or_stale = []
    for e in catalogue:
        if e.is_header:
            continue
        if e.msgid_plural is None:
            if compiled.get(e.key) != e.translations[0]:
                missing_or_stale.append(e.msgid)
        elif compiled.get((e.key, 0)) != e.translations[0]:
            missing_or_stale.append(e.msgid)
    assert missing_or_stale == []


def test_every_msgid_in_the_code_has_a_translation(tmp_path):
    """Run the real extraction (scripts/translations.sh update) on a copy of the code.

    A gettext() call or {% trans %} added anywhere in our apps or templates shows up as an empty
    msgstr here, even when its author never ran makemessages.
    """
    if not all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgattrib", "msgfmt")):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("GNU gettext (xgettext, msgmerge) is not installed (CI=true: no skipping)")
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext")
    copy = tmp_path / "anju"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "staticfiles",
            "var",
            "media",
            "node_modules",
            "tests",
            "test-results",
            "db.sqlite3*",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
            "*.mo",
        ),
    )
    (copy / ".venv").symlink_to(BASE_DIR / ".venv")
    result = subprocess.run(
        [str(copy / "scripts" / "translations.sh"), "update"],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    extracted = read_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert len(extracted) > 800
    assert problems(extracted) == [], (
        "Strings without a Chinese translation: run scripts/translations.sh, fill the empty msgstr "
        "in locale/zh_Hans/LC_MESSAGES/django.po, then scripts/translations.sh compile."
    )


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Estates", "小区"),
        ("Buildings", "楼栋"),
        ("entrance", "单元"),
        ("Exclusive area (m²)", "专有部分面积（m²）"),
        ("Owners' assemblies", "业主大会"),
        ("Owners' committees", "业主委员会"),
        ("Joint meetings", "联席会议"),
        ("Professional property firm", "专业物业服务企业"),
        ("Community property service centre", "社区物业服务中心"),
        ("Residents' self-governance", "居民自治管理"),
        ("Property service fee", "物业费"),
        ("Maintenance fund", "住宅专项维修资金"),
        ("Public income", "公共收益"),
        ("Case studies", "典型案例"),
        ("Basic", "基础类"),
        ("Improvement", "完善类"),
        ("Upgrade", "提升类"),
        ("unified social credit code", "统一社会信用代码"),
        ("Resident ID number", "居民身份证号"),
        ("Arrears", "欠费"),
        ("Refund", "退款"),
    ],
)
def test_domain_terms_use_the_glossary(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_plural_and_context_entries_are_translated():
    with translation.override("zh-hans"):
        assert (
            translation.ngettext(
                "You have %(counter)s open bill, ¥%(owed)s to pay.", "You have %(counter)s open bills, ¥%(owed)s to pay.", 3
            )
            % {"counter": 3, "owed": "120.00"}
            == "您有 3 张待缴账单，共需缴纳 ¥120.00。"
        )
        assert [translation.pgettext("ballot choice", c) for c in ("Yes", "No", "Abstain")] == ["赞成", "反对", "弃权"]


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "手机号" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_login_page_is_english_for_a_browser_asking_for_english(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Mobile number" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_language_cookie_switches_the_login_page_to_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # The cookie wins over a browser that prefers Chinese.
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "Log in" in html
    assert "登录" not in html


def sidebar_labels(html: str) -> list[str]:
    """The labels of Wagtail's sidebar menu, which the page carries as JSON."""
    match = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no Wagtail sidebar on the page"
    labels: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("label"), str):
                labels.append(node["label"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(match.group(1)))
    return labels


@pytest.mark.django_db
def test_back_office_menu_is_chinese_for_estate_staff(client):
    unit = UnitFactory()
    staff = UserFactory(mobile="13900000101")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=unit.building.estate)
    client.force_login(staff)

    labels = sidebar_labels(client.get("/admin/").content.decode())
    for label in ("小区台账", "小区", "楼栋", "房屋", "业主", "收费管理", "账单", "欠费", "物业服务", "业主大会", "联席会议"):
        assert label in labels
    assert "Estates" not in labels
    assert "Estate inventory" not in labels

    listing = client.get("/admin/estates/estate/").content.decode()
    assert unit.building.estate.name in listing
    assert "小区" in listing
