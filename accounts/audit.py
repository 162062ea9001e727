"""What the back office's audit log (Wagtail's log entries) keeps as an object's label.

Wagtail stores ``str(obj)`` as the label of every log entry and keeps it after the object is gone.
For a ballot, an owner or a login that string is personal data (a name, a vote). A model whose
``str`` is personal sets ``log_label_is_personal = True``; its entries are then labelled with the
kind of object and its number only ("ballot #12"), and the object's own history page, which only
people who may see the object reach, still shows the object itself.
"""

from django.conf import settings
from django.utils.translation import override


def personal_log_label(model, object_id) -> str:
    with override(settings.LANGUAGE_CODE):
        return f"{model._meta.verbose_name} #{object_id}"


def log_entry_label_scrub(sender, instance, **kwargs) -> None:
    """pre_save of Wagtail's ModelLogEntry: no personal label is ever written."""
    model = instance.content_type.model_class() if instance.content_type_id else None
    if model is not None and getattr(model, "log_label_is_personal", False):
        instance.label = personal_log_label(model, instance.object_id)
