"""The demo's logins: who they are, their password and the three estates every demo has.

Printed by ``seed_demo``, ``make run`` and the README. Never seeded in production
(``settings.DEMO_DATA_ALLOWED``).
"""

from __future__ import annotations

from accounts.models import Role

DEMO_PASSWORD = "anju-demo-2026"

# The three estates every demo has, whatever --units says: one per management model, the first two in
# the same sub-district (七星岗街道) so that a sub-district officer sees two estates but not all of them.
JINTANGJIE = "金汤街小区"
TONGYUANMEN = "通远门新村"
YANGHE = "洋河新村"

# (mobile, role, description): printed by seed_demo, `make run` and the README. Password: DEMO_PASSWORD.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("13900000000", Role.PLATFORM_ADMIN, "周立新 · 平台管理员，可见全部小区 / Platform administrator (superuser), all estates"),
    ("13900000001", Role.ESTATE_STAFF, f"何晓燕 · {JINTANGJIE}物业服务人员 / Property staff of {JINTANGJIE} only"),
    (
        "13900000002",
        Role.SUBDISTRICT_OFFICER,
        f"谭志刚 · 渝中区七星岗街道干部（{JINTANGJIE}、{TONGYUANMEN}等）/ Sub-district officer of 七星岗街道",
    ),
    ("13900000003", Role.COMMITTEE_MEMBER, f"冉桂芳 · {YANGHE}业委会委员 / Owners' committee member of {YANGHE}"),
    ("13900000004", Role.CMS_EDITOR, "蒋雨萱 · 网站编辑 / Site (CMS) editor"),
    ("13800000001", Role.OWNER, f"陈建华 · {JINTANGJIE}业主 / Owner in {JINTANGJIE}"),
    ("13800000002", Role.OWNER, f"刘秀英 · {YANGHE}业主 / Owner in {YANGHE}"),
    ("13700000001", Role.TENANT, "王浩宇 · 租户 / Tenant"),
]
# Name and sex of each login's person (the sex has to match the owner record's ID number).
_LOGIN_PEOPLE = {
    "13900000000": ("周立新", True),
    "13900000001": ("何晓燕", False),
    "13900000002": ("谭志刚", True),
    "13900000003": ("冉桂芳", False),
    "13900000004": ("蒋雨萱", False),
    "13800000001": ("陈建华", True),
    "13800000002": ("刘秀英", False),
    "13700000001": ("王浩宇", True),
}
# Logins that are on an estate's register of owners: estate index -> mobiles. A committee member is an
# owner of the estate by law (Civil Code Art. 277), so 冉桂芳 holds a flat in 洋河新村 as well.
_OWNER_LOGINS = {0: ["13800000001"], 2: ["13800000002", "13900000003"]}


def demo_logins_text() -> str:
    """The demo logins as a small table, for the command's output and `make run`."""
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）/ Demo logins (password {DEMO_PASSWORD} for all):"]
    lines += [f"  {mobile}  {role:<20} {description}" for mobile, role, description in DEMO_LOGINS]
    return "\n".join(lines)
