"""Chinese-aware site search.

Wagtail's database backends (SQLite FTS5, PostgreSQL tsvector) split text on spaces and
punctuation, so an unspaced Chinese run such as "本小区完成加装电梯12部" is one token and "电梯" never
matches it. Every page therefore indexes a jieba-segmented copy of its text (`segment()`), and the
query is segmented the same way and matched with "and". Queries of one or two characters, and
queries that the index does not answer (a substring that cuts across jieba's words), fall back to
`icontains` on the stored plain text, so any substring a person types is found, on either database.
A Chinese query that the index answers with fewer than COUNT_CAP pages gets the substring matches
added after the index's own (a substring that cuts jieba's words differently may match other pages
in the index but this one only as typed).

The stored text is what the page shows: its own fields and, for a case study or a notice, the live
facts and the meta lines the page renders (`rendered_text()` of the same template include).
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils.safestring import SafeString, mark_safe
from modelsearch.query import PlainText
from wagtail.models import Page

from .models import SearchableTextMixin
from .text import tokens

MAX_QUERY_LENGTH = 100
SHORT_QUERY_LENGTH = 2
RESULTS_PER_PAGE = 10
SNIPPET_RADIUS = 48
# Results are counted up to this many; beyond it the page says "more than 500" (counting every
# match of a very broad query costs more than the search itself).
COUNT_CAP = 500

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalise_query(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_LENGTH]


def is_short(query: str) -> bool:
    """One or two characters (spaces aside): jieba cannot split these usefully."""
    return len(query.replace(" ", "")) <= SHORT_QUERY_LENGTH


def searchable_page_models() -> list[type[Page]]:
    return [m for m in _concrete_page_models() if issubclass(m, SearchableTextMixin)]


def _concrete_page_models() -> list[type[Page]]:
    from wagtail.models import get_page_models

    return [m for m in get_page_models() if not m._meta.abstract and m is not Page]


def _lookup(term: str) -> str:
    """`contains` where case cannot matter (Chinese, digits): LIKE is several times faster than ILIKE."""
    return "icontains" if term.lower() != term.upper() else "contains"


def _substring_q(query: str) -> Q:
    """Pages whose title or stored plain text contains every word of the query.

    One IN-subquery per page type rather than a join across all page tables: each is a plain scan
    of one table's text column, which the database does in a few milliseconds per thousand pages.
    """
    per_term = []
    for term in query.split() or [query]:
        lookup = _lookup(term)
        alternatives = [Q(**{f"title__{lookup}": term})] + [
            Q(pk__in=model.objects.filter(**{f"search_text__{lookup}": term}).values("pk")) for model in searchable_page_models()
        ]
        per_term.append(reduce(or_, alternatives))
    return reduce(and_, per_term)


def live_pages():
    return Page.objects.live().public().filter(depth__gt=1)


def _raw_tsquery(words: list[str], *, prefix: bool) -> str | None:
    terms = [re.sub(r"\W", "", w) for w in words]
    terms = [t for t in terms if t]
    if not terms:
        return None
    quoted = [f"'{t}'" for t in terms]
    if prefix:
        quoted[-1] += ":*"
    return " & ".join(quoted)


def _postgres_match(base, words: list[str], *, prefix: bool):
    """Live pages whose index entry matches, as a plain queryset (PostgreSQL).

    Wagtail's own PostgreSQL query matches ``title || body`` — a vector computed per row, so the GIN
    indexes cannot be used and every search reads the whole index (≈400 ms at 10,000 pages).
    The segmented copy of the title is in ``body`` anyway, so matching ``body`` (or
    ``autocomplete`` for prefixes) alone finds the same pages through the GIN index.
    """
    from django.contrib.postgres.search import SearchQuery
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast
    from wagtail.search.backends import get_search_backend
    from wagtail.search.models import IndexEntry

    raw = _raw_tsquery(words, prefix=prefix)
    if raw is None:
        return None, None
    backend = get_search_backend()
    column = "autocomplete" if prefix else "body"
    config = backend.autocomplete_config if prefix else backend.config
    search_query = SearchQuery(raw, search_type="raw", config=config)
    # "+ 0" keeps the planner off the content-type index, which it would otherwise combine with
    # a filter on every vector; the GIN index on the column is the fast way in (see _matching_ids).
    entries = (
        IndexEntry.objects.alias(_ct=F("content_type_id") + 0)
        .filter(_ct__in=_page_content_type_ids(), **{column: search_query})
        .annotate(_page_id=Cast("object_id", BigIntegerField()))
        .values("_page_id")
    )
    return base.filter(pk__in=entries), (f"index_entries__{column}", search_query)


@contextmanager
def _gin_preferred(active: bool = True):
    """PostgreSQL's planner prices `tsvector @@ tsquery` as cheap and, for a query of common words,
    reads every index row's vector instead of using the GIN index — 5–10× slower, as the vectors
    must be detoasted. Within one transaction only, it is told to avoid sequential scans."""
    if not active or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            previous = "off" if cursor.fetchone()[0] == "off" else "on"
            cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            yield
        finally:
            # Inside an outer transaction (a savepoint here) SET LOCAL would outlive this block.
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL enable_seqscan = {previous}")


def _page_content_type_ids() -> list[int]:
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import get_page_models

    return [ct.pk for ct in ContentType.objects.get_for_models(*get_page_models()).values()]


def _candidates(query: str):
    """The ways to answer ``query``, in the order they are tried: (results, how, rank)."""
    base = live_pages()  # one query for the view restrictions, reused below
    if not is_short(query):
        words = tokens(query)
        if words and connection.vendor == "postgresql":
            for how, prefix in (("index", False), ("prefix", True)):
                results, rank = _postgres_match(base, words, prefix=prefix)
                if results is not None:
                    yield results, how, rank
        elif words:
            yield base.search(PlainText(" ".join(words), operator="and"), order_by_relevance=True), "index", None
            # English prefixes ("renov" for "renovation") and Chinese words cut short.
            yield base.autocomplete(" ".join(words), operator="and", order_by_relevance=True), "prefix", None
    yield base.filter(_substring_q(query)), "substring", None


def search_queryset(query: str):
    """The live pages matching ``query``, unpaginated: (results, how, rank), how being "index",
    "prefix" or "substring" — which way answered, for tests and the benchmark."""
    query = normalise_query(query)
    if not query:
        return Page.objects.none(), "none", None
    for results, how, rank in _candidates(query):
        ids, _more = _matching_ids(results, rank)
        if ids or how == "substring":
            return results, how, rank
    raise AssertionError("unreachable: the substring way always answers")


@dataclass
class SearchHit:
    page: Page
    snippet: SafeString


@dataclass
class SearchOutcome:
    query: str
    page: PaginatorPage | None
    hits: list[SearchHit]
    how: str
    more: bool = False  # more results than COUNT_CAP: the count shown is a lower bound

    @property
    def total(self) -> int:
        return self.page.paginator.count if self.page else 0


def _matching_ids(results, rank) -> tuple[list[int], bool]:
    """The ids of the matches in display order, at most COUNT_CAP, and whether there are more.

    One query reads up to COUNT_CAP + 1 ids newest first (it stops early for a broad query). When
    they are all the matches and the database can rank them, a second query orders just those by
    relevance; a broader query stays newest first (ranking thousands of rows costs more than it helps).
    """
    if not isinstance(results, QuerySet):  # Wagtail's search results (SQLite): ranked already
        ids = [page.pk for page in results[: COUNT_CAP + 1]]
        return ids[:COUNT_CAP], len(ids) > COUNT_CAP
    with _gin_preferred(rank is not None):
        ids = list(results.order_by("-first_published_at", "-pk").values_list("pk", flat=True)[: COUNT_CAP + 1])
        if rank is not None and 1 < len(ids) <= COUNT_CAP:
            from django.contrib.postgres.search import SearchRank

            field, search_query = rank
            ids = list(
                Page.objects.filter(pk__in=ids)
                .annotate(_rank=SearchRank(F(field), search_query))
                .order_by("-_rank", "-pk")
                .values_list("pk", flat=True)
            )
    return ids[:COUNT_CAP], len(ids) > COUNT_CAP


def _with_substring_matches(ids: list[int], query: str) -> tuple[list[int], bool]:
    """The index's matches, then the pages that contain the query as typed but that the index missed.

    A Chinese query that cuts across jieba's words ("查看每" of "查看 每个") is segmented into other
    tokens than the page's text, and the index may answer with other pages only; a page that shows
    the query must still be found. Only when the index found fewer than COUNT_CAP pages: a broad
    query lists "more than 500, newest first" anyway, and the extra scan would cost time for nothing.
    """
    extra, more = _matching_ids(live_pages().filter(_substring_q(query)), None)
    seen = set(ids)
    merged = ids + [pk for pk in extra if pk not in seen]
    return merged[:COUNT_CAP], more or len(merged) > COUNT_CAP


def search_pages(query: str, *, page_number: int | str = 1, per_page: int = RESULTS_PER_PAGE) -> SearchOutcome:
    """One page of search results, each with the matched passage highlighted."""
    query = normalise_query(query)
    if not query:
        return SearchOutcome(query=query, page=None, hits=[], how="none")
    for results, way, rank in _candidates(query):
        ids, more = _matching_ids(results, rank)
        how = way
        if ids:
            break
    if how != "substring" and not more and has_cjk(query):
        ids, more = _with_substring_matches(ids, query)
    current = Paginator(ids, per_page).get_page(page_number)
    pages = _specific(list(current.object_list))
    terms = highlight_terms(query)
    hits = [SearchHit(page=p, snippet=snippet(p.title, getattr(p, "search_text", ""), terms)) for p in pages]
    return SearchOutcome(query=query, page=current, hits=hits, how=how, more=more)


def _specific(ids: list[int]) -> list[Page]:
    """The specific pages of one result page, in order: one query per page type."""
    if not ids:
        return []
    by_pk = {p.pk: p for p in Page.objects.filter(pk__in=ids).specific()}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def highlight_terms(query: str) -> list[str]:
    """What to mark in a snippet: the whole query, its words and its jieba tokens, longest first."""
    query = normalise_query(query)
    if not query:
        return []
    terms = {query.lower(), *query.lower().split(), *tokens(query)}
    return sorted((t for t in terms if t), key=len, reverse=True)


def snippet(title: str, text: str, terms: list[str], *, radius: int = SNIPPET_RADIUS) -> SafeString:
    """A passage of ``text`` around the first match with every match wrapped in <mark>."""
    text = " ".join((text or "").split())
    lower = text.lower()
    start = -1
    for term in terms:
        start = lower.find(term)
        if start >= 0:
            break
    if start < 0:
        passage, prefix, suffix = text[: radius * 2], "", "…" if len(text) > radius * 2 else ""
    else:
        begin = max(0, start - radius)
        end = min(len(text), start + radius)
        passage = text[begin:end]
        prefix = "…" if begin > 0 else ""
        suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + _mark(passage, terms) + suffix)  # noqa: S308 - _mark escapes everything


def mark(text: str, terms: list[str]) -> SafeString:
    return mark_safe(_mark(text, terms))  # noqa: S308 - _mark escapes everything


def _mark(text: str, terms: list[str]) -> str:
    terms = [t for t in terms if t]
    if not terms:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))
