from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_panel(context, panel):
    """{% ticket_panel panel %}: the panel's template with the page's variables and its own,
    as {% include %} would render it (see huitou.tickets.panels)."""
    panel_template = context.template.engine.get_template(panel.template)
    with context.push(panel.context):
        return panel_template.render(context)
