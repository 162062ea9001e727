"""Realistic Chongqing demo data and the demo logins, never in production.

``manage.py seed_demo [--units N]`` (and ``make run`` on a fresh database) calls ``demo_seed`` for the
inventory and logins (``seed``, drawing on ``vocabulary`` and ``projects``), then runs the demo steps the
other apps registered (``registry``). The logins are in ``logins``.
"""

from .logins import DEMO_LOGINS, DEMO_PASSWORD, JINTANGJIE, TONGYUANMEN, YANGHE, demo_logins_text
from .registry import (
    NOT_ALLOWED,
    DemoDataNotAllowedError,
    DemoStep,
    demo_steps,
    demo_steps_run,
    register_demo_step,
)
from .seed import ALREADY_PRESENT, DEFAULT_SEED, DEFAULT_UNITS, demo_seed

__all__ = [
    "ALREADY_PRESENT",
    "DEFAULT_SEED",
    "DEFAULT_UNITS",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "JINTANGJIE",
    "NOT_ALLOWED",
    "TONGYUANMEN",
    "YANGHE",
    "DemoDataNotAllowedError",
    "DemoStep",
    "demo_logins_text",
    "demo_seed",
    "demo_steps",
    "demo_steps_run",
    "register_demo_step",
]
