"""Cards other apps add to the customer page (their satisfaction answers, …), registered
from each app's AppConfig.ready(), so customers imports none of them. A section is a
template and a context function `context(request, customer)` returning its variables, or
None when it has nothing to show; the page places each by name."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

SECTION_NAMES: tuple[str, ...] = ("surveys",)


@dataclass(frozen=True)
class CustomerSection:
    name: str
    template: str
    context: Callable[..., dict | None]


_registry: dict[str, CustomerSection] = {}


def register_customer_section(*, name: str, template: str, context) -> None:
    if name not in SECTION_NAMES:
        raise ImproperlyConfigured(
            f"Unknown customer-page section {name!r}: add it to SECTION_NAMES in "
            "huitou.customers.page_sections."
        )
    _registry[name] = CustomerSection(name=name, template=template, context=context)


def sections_for(request, customer) -> dict[str, dict]:
    """{name: {template, context}} of the sections with something to show."""
    shown = {}
    for name in SECTION_NAMES:
        section = _registry.get(name)
        if section is None:
            continue
        context = section.context(request, customer)
        if context is not None:
            shown[name] = {"template": section.template, "context": context}
    return shown
