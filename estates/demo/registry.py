"""Demo steps: each app registers how it adds its demo data, estates runs them in order.

estates seeds the inventory and the logins first (``demo_seed``); every app above it adds its own data
on top with ``register_demo_step(name, step, after=..., before=...)`` from its ``AppConfig.ready()``.
estates never imports them. A step names the steps it must follow (``after``) or precede (``before``),
so a higher app can put itself before a lower one without the lower one naming it.

A step naming a step nobody registered, or steps that wait for each other, is ImproperlyConfigured:
the system check ``estates.E002`` reports it at start-up, and ``seed_demo`` refuses before writing
anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

NOT_ALLOWED = (
    "此环境不允许加载演示数据（DEMO_DATA_ALLOWED = False），生产环境从不加载演示账号。"
    " / Demo data is not allowed here (DEMO_DATA_ALLOWED = False): production never gets demo logins."
)


class DemoDataNotAllowedError(RuntimeError):
    """Raised where settings.DEMO_DATA_ALLOWED is false (production)."""


def demo_data_allowed_check() -> None:
    if not getattr(settings, "DEMO_DATA_ALLOWED", False):
        raise DemoDataNotAllowedError(NOT_ALLOWED)


def write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


@dataclass(frozen=True)
class DemoStep:
    """``run(stdout=...)`` adds one app's demo data; it must be idempotent (it skips what exists)."""

    name: str
    run: Callable[..., object]
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()


_STEPS: dict[str, DemoStep] = {}


def register_demo_step(name: str, step: Callable[..., object], *, after: Iterable[str] = (), before: Iterable[str] = ()) -> None:
    """Add ``step`` to the demo, after the inventory and after/before the named steps.

    Registering a name again replaces the step (``ready()`` may run twice in tests).
    """
    _STEPS[name] = DemoStep(name, step, tuple(after), tuple(before))


def demo_steps() -> list[DemoStep]:
    """The registered steps in running order (registration order where the constraints leave a choice).

    Raises ImproperlyConfigured when a step names one that is not registered, or the constraints loop.
    """
    waits_for: dict[str, set[str]] = {name: set() for name in _STEPS}
    for step in _STEPS.values():
        for other in (*step.after, *step.before):
            if other not in _STEPS:
                raise ImproperlyConfigured(
                    f"Demo step {step.name!r} names the step {other!r}, which no app registers "
                    f"(registered: {', '.join(_STEPS) or 'none'})."
                )
        waits_for[step.name].update(step.after)
        for later in step.before:
            waits_for[later].add(step.name)
    ordered: list[DemoStep] = []
    pending = list(_STEPS)
    while pending:
        ready = next((name for name in pending if not waits_for[name] - {s.name for s in ordered}), None)
        if ready is None:
            raise ImproperlyConfigured(f"Demo steps wait for each other: {', '.join(pending)}.")
        pending.remove(ready)
        ordered.append(_STEPS[ready])
    return ordered


def demo_steps_run(*, stdout: TextIO | None = None) -> None:
    """Run every registered step in order (after ``demo_seed``)."""
    demo_data_allowed_check()
    for step in demo_steps():
        step.run(stdout=stdout)


@checks.register()
def check_demo_steps(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        demo_steps()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Fix the register_demo_step() call that names it.", id="estates.E002")]
    return []
