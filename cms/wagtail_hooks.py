from wagtail import hooks

from .viewsets import renovation_project_chooser


@hooks.register("register_admin_viewset")
def register_project_chooser():
    return renovation_project_chooser
