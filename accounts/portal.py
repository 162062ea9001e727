"""The owners' and tenants' portal home at /portal/ is assembled from sections that apps register.

accounts depends on no other app, so each app adds its own section (my units, my bills, my
assemblies, my lease…) in its AppConfig.ready() with `register_section`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass(frozen=True)
class PortalSection:
    """What one app shows on the portal home: a template and its context."""

    template: str
    context: dict = field(default_factory=dict)


SectionProvider = Callable[[HttpRequest], PortalSection | None]
#: Where a section appears: the portal home (首页) and/or the personal page (我的).
HOME, ME = "home", "me"
_providers: list[tuple[int, str, SectionProvider, frozenset[str]]] = []


def register_section(name: str, provider: SectionProvider, *, order: int = 100, places: tuple[str, ...] = (HOME,)) -> None:
    global _providers
    _providers = [p for p in _providers if p[1] != name] + [(order, name, provider, frozenset(places))]
    _providers.sort(key=lambda p: (p[0], p[1]))


def sections_for(request: HttpRequest, *, place: str = HOME) -> list[PortalSection]:
    return [section for _, _, provider, places in _providers if place in places and (section := provider(request)) is not None]
