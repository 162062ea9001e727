"""The figures of the public home page ("Renovated estates in figures"), registered by their providers.

A figure is a key, a label, an order on the page and a ``compute()`` that returns its value (a
count, or an amount of money) in one query. The page shows every registered figure, in order, so
that a new capability adds its figure by registering it, without the page template naming it.

- cms registers the figures it reads from the inventory of the apps below it (cms/apps.py).
- An app below cms (rentals' pooled flats, property services' public income) must not import cms
  (DESIGN.md: no import runs upward). It declares its figures in a ``public_figures()`` method of
  its AppConfig that returns keyword dicts for ``register_public_figure``; cms registers them as it
  starts (``app_figures_register``).

Everything is checked as the site starts, so a mistake never turns into a figure silently missing
from the page: a compute that is not callable or a key registered twice raises
ImproperlyConfigured, and so does a figure of HOME_PAGE_FIGURES that nobody registered
(``figures_verify``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

FigureValue = int | Decimal

# The figures the home page has always shown: the site does not start without them.
HOME_PAGE_FIGURES = ("estates_renovated", "estates", "units", "households_with_lift_added")


@dataclass(frozen=True)
class PublicFigure:
    key: str
    label: str
    compute: Callable[[], FigureValue | None]
    order: int
    money: bool = False  # shown as yuan (¥1,234.50) rather than as a count
    # The models whose saves and deletes change the value: the cached public pages are dropped then
    # (cms.caching). Without them a changed figure shows only when the cache expires.
    changes_with: tuple = ()


@dataclass(frozen=True)
class ShownFigure:
    """A figure with its value as the page shows it now."""

    figure: PublicFigure
    value: FigureValue

    @property
    def label(self) -> str:
        return self.figure.label

    @property
    def money(self) -> bool:
        return self.figure.money


_registry: dict[str, PublicFigure] = {}


def register_public_figure(
    key: str,
    *,
    label: str,
    compute: Callable[[], FigureValue | None],
    order: int,
    money: bool = False,
    changes_with: Iterable = (),
) -> PublicFigure:
    """Offer a figure to the public home page. Registering the very same figure again is harmless
    (an AppConfig's ready() may run twice); a different figure under a taken key is an error."""
    if not key or not isinstance(key, str):
        raise ImproperlyConfigured(f"A public figure needs a key, not {key!r}.")
    if not callable(compute):
        raise ImproperlyConfigured(f"Public figure {key!r}: compute must be callable, not {compute!r}.")
    figure = PublicFigure(key=key, label=label, compute=compute, order=order, money=money, changes_with=tuple(changes_with))
    registered = _registry.get(key)
    if registered is not None and registered != figure:
        raise ImproperlyConfigured(f"Public figure {key!r} is registered twice ({registered.compute!r} and {compute!r}).")
    _registry[key] = figure
    return figure


def app_figures_register(app_configs: Iterable) -> None:
    """Register the figures that apps declare in their AppConfig's ``public_figures()``."""
    for config in app_configs:
        declare = getattr(config, "public_figures", None)
        if declare is None:
            continue
        for declaration in declare():
            register_public_figure(**declaration)


def figures_verify(required: Iterable[str] = HOME_PAGE_FIGURES) -> None:
    """Raise ImproperlyConfigured if a figure the home page needs is not registered."""
    missing = [key for key in required if key not in _registry]
    if missing:
        raise ImproperlyConfigured(f"The home page needs public figures that nobody registered: {', '.join(missing)}.")


def registered_figures() -> list[PublicFigure]:
    return sorted(_registry.values(), key=lambda f: (f.order, f.key))


def public_figures() -> list[ShownFigure]:
    """Every registered figure with its value, in order; one query per figure whatever the data size.
    A figure whose compute answers None (nothing to show yet) is left out."""
    shown = []
    for figure in registered_figures():
        value = figure.compute()
        if value is not None:
            shown.append(ShownFigure(figure=figure, value=value))
    return shown
