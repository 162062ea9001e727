from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def language_menu():
    """The language menu's choices, each named in its own script ("English", "中文") in every language.

    ``{% get_available_languages %}`` would translate the names (English → 英语 in Chinese mode),
    so a reader who does not understand the current language could not find their own.
    """
    return list(settings.LANGUAGES)
