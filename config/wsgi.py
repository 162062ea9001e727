"""The WSGI application (gunicorn, ``config.wsgi:application``).

After Django is set up, the URLconf (and with it every view module) is imported and the objects on the heap
are frozen (``gc.freeze()``): they live as long as the process, and Python's full garbage-collection passes
no longer walk them. Without this, a full pass over the ~240,000 start-up objects added ~150 ms to about one
request in twenty (docs/benchmarks.md, "Dashboards"); under gunicorn's ``--preload`` the frozen pages are
also shared by the forked workers.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()


def _warm_and_freeze() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now, not on the first request
    gc.collect()
    gc.freeze()


_warm_and_freeze()
