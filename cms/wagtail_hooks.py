from wagtail import hooks

from accounts.page_cache import cacheable

from .viewsets import renovation_project_chooser


@hooks.register("register_admin_viewset")
def register_project_chooser():
    return renovation_project_chooser


@hooks.register("before_serve_page")
def public_page_cacheable(page, request, serve_args, serve_kwargs):
    """Every public page may be cached whole for anonymous visitors (accounts.page_cache).

    A page with a view restriction never reaches here for a visitor who may not see it (Wagtail's
    own hook answers first), and one who may has a session cookie, which bypasses the cache."""
    cacheable(request)
