"""Plain text for search: jieba's words of a text, and the readable text of a rendered template.

Page models keep a segmented copy of their text for the index (`segment()`); the search itself
(`cms.search`) segments queries the same way. Nothing here knows about page models.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading

from bs4 import BeautifulSoup
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

_jieba_lock = threading.Lock()
_jieba = None

# Word characters of any script; anything else (spaces, punctuation, symbols) separates tokens.
_WORD = re.compile(r"\w", re.UNICODE)


def _tokenizer():
    """jieba, initialised once per process: its dictionary cache lives in the temp dir."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # it announces every load on stderr otherwise
                jieba.dt.tmp_dir = tempfile.gettempdir()
                jieba.initialize()
                _jieba = jieba
    return _jieba


def tokens(text: str) -> list[str]:
    """jieba's search-mode tokens of ``text``, lower-cased, without spaces and punctuation."""
    if not text:
        return []
    return [t.lower() for t in _tokenizer().cut_for_search(text) if _WORD.search(t)]


def segment(text: str) -> str:
    """The copy of ``text`` that goes into the search index: jieba tokens separated by spaces."""
    return " ".join(tokens(text))


def rendered_text(template_name: str, context: dict) -> str:
    """The readable text of a template include as the site shows it by default (its language),
    one line per element, so that words of two cells or list items never run together."""
    with translation.override(settings.LANGUAGE_CODE):
        markup = render_to_string(template_name, context)
    soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup.select("svg, script, style"):
        hidden.decompose()
    lines = (" ".join(line.split()) for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)
