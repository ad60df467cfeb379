"""Sections other apps add to the customer portal's 我的工单 page (a questionnaire to answer,
…), registered from each app's AppConfig.ready(), so the portal imports none of them.

A section is a template and a context function `context(request, scope)` returning the
template's variables for this signed-in customer (a PortalScope), or None when it has
nothing to show."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# The sections' order on the page: a new section's name goes here before it can register.
SECTION_ORDER: tuple[str, ...] = ("ratings", "surveys")

SectionContext = Callable[..., dict | None]  # (request, scope) -> dict | None


@dataclass(frozen=True)
class PortalSection:
    name: str
    template: str
    context: SectionContext


@dataclass(frozen=True)
class ShownSection:
    name: str
    template: str
    context: dict


_registry: dict[str, PortalSection] = {}


def register_section(*, name: str, template: str, context: SectionContext) -> PortalSection:
    """Add a section to the portal; registering the same one again is harmless, another
    under a taken name is an error."""
    if name not in SECTION_ORDER:
        raise ImproperlyConfigured(
            f"Unknown portal section {name!r}: add it to SECTION_ORDER in huitou.portal.sections."
        )
    section = PortalSection(name=name, template=template, context=context)
    existing = _registry.get(name)
    if existing is not None and existing != section:
        raise ImproperlyConfigured(f"Portal section {name!r} is already registered: {existing}.")
    _registry[name] = section
    return section


def sections_for(request, scope) -> list[ShownSection]:
    """The sections with something to show this customer, in SECTION_ORDER."""
    shown = []
    for name in SECTION_ORDER:
        section = _registry.get(name)
        if section is None:
            continue
        context = section.context(request, scope)
        if context is not None:
            shown.append(ShownSection(name=name, template=section.template, context=context))
    return shown
