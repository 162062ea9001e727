from wagtail import hooks

from .viewsets import BillingViewSetGroup


@hooks.register("register_admin_viewset")
def register_billing():
    return BillingViewSetGroup()
