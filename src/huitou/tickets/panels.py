"""The ticket page's panels: what other apps show on a ticket (the complaint flow, the SLA
card, service guidance, FAQ assist, …), registered from each app's AppConfig.ready(), so
tickets imports none of those apps for its page and an app can be left out.

A panel is a template and a context function `context(request, ticket, bound)` returning
the template's variables, or None when the panel has nothing to show on this ticket for
this user. `bound` is what a refused POST hands back to the panel (its bound forms, to show
them with their errors); it is None on a plain GET.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# Where each panel goes on the ticket page, and in which order: the one place that says so.
# A new panel's name is added here before its app can register it.
#   main      the main column, under the ticket's facts and above the thread
#   composer  inside every reply box (the reply form, the complaint answer and reply forms)
#   side      the side column, under the customer card and above the 处理 form
PANEL_LAYOUT: dict[str, tuple[str, ...]] = {
    "main": ("complaint_flow",),
    "composer": ("faq_assist",),
    "side": ("sla", "transfer", "service_guidance", "satisfaction", "notifications"),
}
PANEL_ORDER: tuple[str, ...] = tuple(name for names in PANEL_LAYOUT.values() for name in names)
SLOT_OF: dict[str, str] = {name: slot for slot, names in PANEL_LAYOUT.items() for name in names}

PanelContext = Callable[..., dict | None]  # (request, ticket, bound) -> dict | None


@dataclass(frozen=True)
class TicketPanel:
    name: str
    template: str
    context: PanelContext
    # A permission the user needs to see the panel at all; finer checks go in `context`.
    permission: str = ""
    # The context key holding the panel's forms ({name: form}). The page applies the
    # forbidden-phrase rule of the reply box to them: "send anyway" after a warning.
    forms_key: str = ""


@dataclass(frozen=True)
class ShownPanel:
    """A panel to render on this page: its template with these variables."""

    name: str
    slot: str
    template: str
    context: dict
    forms: tuple = ()


_registry: dict[str, TicketPanel] = {}


def register_panel(
    *,
    name: str,
    template: str,
    context: PanelContext,
    permission: str = "",
    forms_key: str = "",
) -> TicketPanel:
    """Add a panel to the ticket page; its name must be in PANEL_LAYOUT. Registering the
    same panel again (a second ready()) is harmless; a different one under a taken name
    is an error."""
    if name not in SLOT_OF:
        raise ImproperlyConfigured(
            f"Unknown ticket panel {name!r}: add it to PANEL_LAYOUT in huitou.tickets.panels."
        )
    panel = TicketPanel(
        name=name,
        template=template,
        context=context,
        permission=permission,
        forms_key=forms_key,
    )
    existing = _registry.get(name)
    if existing is not None and existing != panel:
        raise ImproperlyConfigured(f"Ticket panel {name!r} is already registered: {existing}.")
    _registry[name] = panel
    return panel


def registered_panels() -> tuple[TicketPanel, ...]:
    """The registered panels in page order."""
    return tuple(_registry[name] for name in PANEL_ORDER if name in _registry)


def panels_for(request, ticket, *, bound: Mapping[str, object] | None = None) -> list[ShownPanel]:
    """The panels this user sees on this ticket, in PANEL_ORDER; `bound` maps a panel's
    name to what a refused POST hands back to it."""
    bound = bound or {}
    unknown = set(bound) - set(_registry)
    if unknown:
        raise ValueError(f"No such ticket panel: {', '.join(sorted(unknown))}")
    shown = []
    for panel in registered_panels():
        if panel.permission and not request.user.has_perm(panel.permission):
            continue
        context = panel.context(request, ticket, bound.get(panel.name))
        if context is None:
            continue
        forms = tuple(context[panel.forms_key].values()) if panel.forms_key else ()
        shown.append(
            ShownPanel(
                name=panel.name,
                slot=SLOT_OF[panel.name],
                template=panel.template,
                context=context,
                forms=forms,
            )
        )
    return shown


def by_slot(shown: list[ShownPanel]) -> dict[str, list[ShownPanel]]:
    """{slot: its panels in order} for the template; every slot is present."""
    return {slot: [panel for panel in shown if panel.slot == slot] for slot in PANEL_LAYOUT}
