"""No link to a page that does not exist (issue 10 item 7): as each demo persona, every link on every
portal page is followed (portal pages recursively, the public site one step) and none answers 404
or 500. Also: every portal URL in the URLconf is known to the layout and link checks."""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from accounts.models import User
from tests.portal_pages import (
    DEMO_PERSONAS,
    DOWNLOADS,
    HTML_PAGES,
    POST_ONLY,
    ensure_payment_attempt,
    portal_pages,
    portal_url_names,
    seed_demo,
)

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"', re.I)
MAX_PAGES = 200


def test_every_portal_url_is_known_to_the_layout_and_link_checks():
    assert portal_url_names() == HTML_PAGES | DOWNLOADS | POST_ONLY


def _links(html: str) -> list[str]:
    links = []
    for href in HREF.findall(html):
        href = urldefrag(href.replace("&amp;", "&"))[0]
        if href.startswith("/") and not href.startswith("//"):
            links.append(href)
    return links


def test_no_portal_page_links_to_a_missing_page_for_any_demo_persona(client):
    seed_demo()
    broken: list[str] = []
    for mobile, persona in DEMO_PERSONAS.items():
        user = User.objects.get(mobile=mobile)
        ensure_payment_attempt(user)
        client.force_login(user)
        start = [url for name, urls in portal_pages(user).items() if name in HTML_PAGES for url in urls]
        queue, seen, crawled = deque(start), set(start), 0
        while queue and crawled < MAX_PAGES:
            url = queue.popleft()
            response = client.get(url)
            crawled += 1
            if response.status_code in (404, 500) or response.status_code >= 500:
                broken.append(f"{persona}: {url} → {response.status_code}")
                continue
            is_portal = urlsplit(url).path.startswith("/portal/")
            if not is_portal or response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for link in _links(response.content.decode()):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
        assert crawled > len(start), persona
        client.logout()
    assert broken == []
