"""The thread's attachments: images shown as images, everything else as a download."""

from django import template

from huitou.tickets.attachments import is_inline_image

register = template.Library()


@register.filter
def inline_images(files) -> list:
    return [file for file in files if is_inline_image(file)]


@register.filter
def downloads(files) -> list:
    return [file for file in files if not is_inline_image(file)]
