"""Demo content of the public site: ``seed_cms_demo()`` builds the site tree for the demo estates.

Idempotent: every page is looked up by its slug (case studies by their project) before it is
made, so running it again changes nothing. The seed_demo command calls it after the inventory.
Photos are drawn here (Pillow) so that nothing is downloaded.
"""

from __future__ import annotations

import datetime
import io
import random
import re
from pathlib import Path
from typing import TextIO

from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Site

from estates.models import Estate, RenovationProject

from .models import CaseStudyIndexPage, CaseStudyPage, HomePage, NewsIndexPage, NewsPage, PolicyPage, SiteSettings
from .services import notice_index_ensure, notice_pages_sync, site_permissions_ensure

# A copy of the seed policy (shared/seed/000_beb515c9f4ae0ab8.txt) kept with the app.
SEED_POLICY = Path(__file__).resolve().parent / "content" / "policy_yufubanfa_2021_82.txt"
POLICY_SLUG = "policy-yufubanfa-2021-82"
DEMO_ESTATES = ["金汤街小区", "通远门新村", "洋河新村"]

HOME_INTRO = (
    "<p>安居是重庆市城镇老旧小区改造提升后的运营平台：物业服务、缴费、业主议事、公共收益公示与房源共享，"
    "都在这里公开进行。下面的数字随各小区的数据实时更新。</p>"
)


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def seed_cms_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Create the demo site tree: sections, the seed policy, case studies of the demo estates'
    renovation projects, news, site settings, notice pages; and the editors' workflow."""
    counts = {"pages": 0, "images": 0}
    with transaction.atomic():
        home = _home(counts)
        case_index = _index(home, CaseStudyIndexPage, "case-studies", "典型案例", _CASES_INTRO, counts)
        notice_index_ensure()
        news_index = _index(home, NewsIndexPage, "news", "新闻动态", "<p>老旧小区改造与社区服务提升的最新进展。</p>", counts)
        _policy(home, counts)
        for estate_name in DEMO_ESTATES:
            _case_study(case_index, estate_name, counts)
        for slug, title, intro, paragraphs, days_ago in NEWS:
            _news(news_index, slug, title, intro, paragraphs, days_ago, counts)
        _settings(home)
        site_permissions_ensure()
    notices = notice_pages_sync()
    _write(stdout, f"Public site: {counts['pages']} pages and {counts['images']} photos created; notices {notices}.")
    return counts


# --- tree --------------------------------------------------------------------------------------


def _publish(parent, page, counts) -> None:
    page.live = False
    parent.add_child(instance=page)
    page.save_revision().publish()
    counts["pages"] += 1


def _home(counts) -> HomePage:
    home = HomePage.objects.order_by("path").first()
    if home is None:
        # An empty database (e.g. flushed by a transactional test) may lack even Wagtail's root rows.
        from wagtail.models import Collection, Locale, Page

        Locale.objects.get_or_create(language_code=_content_language())
        if Collection.get_first_root_node() is None:
            Collection.add_root(name="Root")
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = HomePage(title="安居 · 老旧小区改造后的运营平台", slug="home", intro=HOME_INTRO, live=False)
        root.add_child(instance=home)
        home.save_revision().publish()
        counts["pages"] += 1
        Site.objects.filter(is_default_site=True).delete()
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="安居 Anju")
    elif not home.search_text:  # made by the data migration: publish once so that search sees it
        home.intro = home.intro or HOME_INTRO
        home.save_revision().publish()
    return home


def _content_language() -> str:
    from django.conf import settings
    from wagtail.coreutils import get_content_languages, get_supported_content_language_variant

    try:
        return get_supported_content_language_variant(settings.LANGUAGE_CODE)
    except LookupError:
        return next(iter(get_content_languages()))


def _index(home, model, slug, title, intro, counts):
    index = model.objects.child_of(home).filter(slug=slug).first() or model.objects.first()
    if index is None:
        index = model(title=title, slug=slug, intro=intro, show_in_menus=True)
        _publish(home, index, counts)
    return index


def _policy(home, counts) -> PolicyPage:
    page = PolicyPage.objects.filter(slug=POLICY_SLUG).first()
    if page is not None:
        return page
    text = SEED_POLICY.read_text(encoding="utf-8")
    title, number, blocks = policy_blocks(text)
    page = PolicyPage(
        title=title,
        slug=POLICY_SLUG,
        issuer="重庆市人民政府办公厅",
        document_number=number,
        issued_on=datetime.date(2021, 7, 5),
        intro="重庆市全面推进城镇老旧小区改造和社区服务提升工作的实施意见，本平台的政策依据。",
        body=blocks,
    )
    _publish(home, page, counts)
    return page


_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_SUBHEADING = re.compile(r"^（[一二三四五六七八九十]+）")


def policy_blocks(text: str) -> tuple[str, str, list[tuple[str, object]]]:
    """The seed policy as StreamField data: its title, document number and body blocks.

    "一、…" lines become section headings; "（一）标题。正文" lines a subsection heading and a paragraph.
    """
    import html

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    number_index = next(i for i, line in enumerate(lines) if "〔" in line and "号" in line)
    title = "".join(lines[1:number_index])  # the issuer is line 0; the title may wrap over lines
    number = lines[number_index]
    blocks: list[tuple[str, object]] = []
    for line in lines[number_index + 1 :]:
        if _HEADING.match(line) and len(line) < 40:
            blocks.append(("heading", {"text": line, "level": "h2"}))
        elif _SUBHEADING.match(line):
            head, _sep, rest = line.partition("。")
            blocks.append(("heading", {"text": head, "level": "h3"}))
            if rest.strip():
                blocks.append(("paragraph", f"<p>{html.escape(rest.strip())}</p>"))
        else:
            blocks.append(("paragraph", f"<p>{html.escape(line)}</p>"))
    return title, number, blocks


# --- case studies ------------------------------------------------------------------------------

_CASES_INTRO = (
    "<p>改造完成的小区讲述自己的故事：改了什么、谁出的钱、改造后由谁管理。"
    "页面上的改造内容、资金来源和日期直接取自项目台账，随台账更新。</p>"
)

_STORIES = {
    "金汤街小区": {
        "title": "金汤街小区：专业物业进场后的第一年",
        "intro": "从“没人管”到引进专业物业服务企业，金汤街小区在改造后签下了第一份物业服务合同。",
        "paragraphs": [
            "金汤街小区建成于上世纪九十年代，改造前楼道照明长期损坏，雨污管网混接，雨天院坝积水。",
            "改造中，社区组织居民议事会逐栋征求意见，先做水电气讯、排水和消防等基础类改造，再根据意愿加装电梯。",
            "改造完成后，业主大会表决引进专业物业服务企业，物业费标准与服务内容在平台上公开，缴费可在手机上完成。",
        ],
        "quote": ("以前下雨要绕着积水走，现在院坝干干净净，晚上楼道也亮了。", "3栋住户 陈建华"),
    },
    "通远门新村": {
        "title": "通远门新村：社区物业服务中心托底管理",
        "intro": "规模小、收费难的老小区，由社区组建物业服务中心托底，保洁、维修和安保一个电话就到。",
        "paragraphs": [
            "通远门新村只有几栋楼，单独引进物业企业难以为继。改造后由社区物业服务中心统一管理。",
            "改造内容包括道路平整、安防监控和生活垃圾分类设施，部分楼栋同步实施了适老化改造。",
            "服务中心每季度公示公共收益收支，居民可以在平台上查看每一笔停车费和广告位收入的去向。",
        ],
        "quote": ("有事找服务中心，比以前找不到人强多了。", "居民代表"),
    },
    "洋河新村": {
        "title": "洋河新村：居民自治管起来，加装电梯解难题",
        "intro": "洋河新村选择居民自治管理，业委会带头推动加装电梯，老人下楼不再难。",
        "paragraphs": [
            "洋河新村多为六七层的老楼，没有电梯，高楼层的老年住户下楼买菜、看病十分不便。",
            "改造中，业主委员会逐户上门沟通，按楼层协商出资比例，本小区完成加装电梯，并同步改造了无障碍坡道。",
            "改造后小区实行居民自治管理，重大事项由业主大会表决，表决结果和共同决定事项都在平台公示。",
        ],
        "quote": ("电梯装好那天，楼里的老人都下来了，像过节一样。", "业委会委员 冉桂芳"),
    },
}


def _case_study(index, estate_name: str, counts) -> CaseStudyPage | None:
    estate = Estate.objects.filter(name=estate_name).first()
    if estate is None:
        return None
    project = RenovationProject.objects.filter(estate=estate).order_by("-year", "pk").first()
    if project is None or CaseStudyPage.objects.filter(project=project).exists():
        return None
    story = _STORIES[estate_name]
    before = _image(f"{estate_name} 改造前", after=False, seed=estate.pk, counts=counts)
    after = _image(f"{estate_name} 改造后", after=True, seed=estate.pk, counts=counts)
    body = [("paragraph", f"<p>{p}</p>") for p in story["paragraphs"][:2]]
    body.append(
        (
            "before_after",
            {
                "before": before,
                "before_alt": f"{estate_name}改造前的楼栋外立面：墙面斑驳，楼道窗户破损",
                "after": after,
                "after_alt": f"{estate_name}改造后的楼栋外立面：墙面粉刷一新，窗户更换完好",
                "caption": f"{estate_name}同一栋楼改造前后",
            },
        )
    )
    body.append(("paragraph", f"<p>{story['paragraphs'][2]}</p>"))
    body.append(("quote", {"text": story["quote"][0], "attribution": story["quote"][1]}))
    page = CaseStudyPage(
        title=story["title"],
        slug=f"case-{estate.code.lower()}"[:255],
        project=project,
        date=project.completed_on or datetime.date(project.year, 12, 1),
        intro=story["intro"],
        search_description=story["intro"],
        hero_image=after,
        hero_alt=f"{estate_name}改造后的楼栋外立面",
        body=body,
    )
    _publish(index, page, counts)
    return page


def _image(title: str, *, after: bool, seed: int, counts):
    image_model = get_image_model()
    existing = image_model.objects.filter(title=title).first()
    if existing is not None:
        return existing
    image = image_model(title=title, description=title)
    image.file = ImageFile(
        io.BytesIO(facade_png(after=after, seed=seed, caption=title)),
        name=f"demo-facade-{seed}-{'after' if after else 'before'}.png",
    )
    image.save()
    counts["images"] += 1
    return image


# Fonts that draw Chinese, in order of preference (Debian/Ubuntu's fonts-noto-cjk, then others).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "NotoSansCJK-Regular.ttc",
)


def _cjk_font(size: int):
    from PIL import ImageFont

    for name in CJK_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return None


def facade_png(*, after: bool, seed: int, width: int = 960, height: int = 600, caption: str = "") -> bytes:
    """A drawn photo of a six-storey block: weathered before, repainted (with a lift shaft) after.

    Each estate (``seed``) gets its own wall colour and windows; ``caption`` (the estate and
    before/after, in Chinese) is written on a band at the top when a CJK font is installed.
    Drawn locally with Pillow: the demo downloads nothing."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    sky = (172, 206, 230) if after else (190, 192, 188)
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    walls = [(236, 222, 196), (232, 206, 186), (214, 224, 206), (226, 214, 226), (240, 232, 210)]
    wall = walls[seed % len(walls)] if after else (150, 146, 138)
    left, top, right, bottom = 110, 90, width - 110, height - 40
    draw.rectangle((left, top, right, bottom), fill=wall)
    for floor in range(6):
        y = top + 25 + floor * 75
        for col in range(8):
            x = left + 30 + col * 92
            broken = not after and rng.random() < 0.25
            glass = (92, 138, 170) if after else ((60, 60, 60) if broken else (110, 120, 122))
            draw.rectangle((x, y, x + 52, y + 42), fill=glass, outline=(255, 255, 255) if after else (90, 90, 90), width=3)
    if not after:
        for _ in range(40):  # stains and cracks
            x, y = rng.randint(left, right), rng.randint(top, bottom)
            draw.line((x, y, x + rng.randint(-30, 30), y + rng.randint(10, 60)), fill=(110, 104, 96), width=2)
    else:
        draw.rectangle((right - 10, top - 20, right + 60, bottom), fill=(200, 205, 210), outline=(120, 130, 140), width=3)
        for floor in range(6):
            y = top + 25 + floor * 75
            draw.rectangle((right + 5, y, right + 45, y + 50), fill=(140, 190, 215))
        draw.rectangle((0, bottom, width, height), fill=(96, 160, 96))
    draw.rectangle((0, bottom, width, height), fill=(96, 160, 96) if after else (120, 110, 96))
    font = _cjk_font(max(16, height // 14)) if caption else None
    if font is not None:
        band = height // 9
        draw.rectangle((0, 0, width, band), fill=(11, 93, 59) if after else (70, 70, 70))
        draw.text((width // 2, band // 2), caption, font=font, fill=(255, 255, 255), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- news --------------------------------------------------------------------------------------

NEWS = [
    (
        "lift-retrofit-2025",
        "全市老旧小区今年已加装电梯一批，更多楼栋进入协商阶段",
        "各区县加快推进既有住宅加装电梯，平台上可以查看每个小区的改造内容和资金来源。",
        [
            "今年以来，各区县结合城镇老旧小区改造，成批推进既有住宅加装电梯。",
            "加装电梯需经本单元业主依法表决同意，资金由业主按楼层协商分摊，财政给予补助，也可提取住房公积金。",
            "居民可以在本平台“典型案例”栏目查看已完成小区的改造内容、资金来源和改造后的管理模式。",
        ],
        10,
    ),
    (
        "public-income-disclosure",
        "公共收益每季度公示：停车费、广告位收入去了哪里",
        "改造后的小区公共收益按季度公示收支，业主可随时查询。",
        [
            "利用小区共有部分取得的停车、广告、充电桩等收入属于业主共有，依法应当定期公示。",
            "平台按季度生成公共收益收支情况报告，列明各项收入、合理成本和业主大会决定的分配方案，并以公示形式发布。",
        ],
        20,
    ),
    (
        "platform-launch",
        "Anju platform opens for residents of renovated estates",
        "Owners can pay property fees, vote in owners' assemblies and read public notices online.",
        [
            "The Anju platform brings property services, billing, owners' assemblies and public notices of renovated "
            "old estates together in one place.",
            "Residents log in with their mobile number. Case studies show what each renovation delivered and who paid.",
        ],
        30,
    ),
]


def _news(index, slug, title, intro, paragraphs, days_ago, counts) -> NewsPage | None:
    if NewsPage.objects.filter(slug=slug).exists():
        return None
    page = NewsPage(
        title=title,
        slug=slug,
        date=timezone.localdate() - datetime.timedelta(days=days_ago),
        intro=intro,
        search_description=intro,
        body=[("paragraph", f"<p>{p}</p>") for p in paragraphs],
    )
    _publish(index, page, counts)
    return page


def _settings(home) -> None:
    site = Site.objects.filter(root_page=home).first() or Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    SiteSettings.objects.get_or_create(
        site=site,
        defaults={
            "contact_phone": "023-6388 5120",
            "contact_address": "重庆市渝中区中山一路 88 号 城镇老旧小区改造服务中心",
            "contact_email": "service@anju.example.cn",
            "footer_text": "安居 · 重庆市城镇老旧小区改造提升后的运营平台。本站公示信息以各小区现场张贴为准。",
        },
    )
