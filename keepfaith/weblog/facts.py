"""A chunk's request facts, built column by column from the parsed lines (Arrow, no SQL).

Each text column is dictionary-encoded; everything the facts say about a value (registry
country and network of a host, families of an agent, path and extension of a target,
domain and page of a referrer, the visitor pseudonym of a (day, network, agent)) is
computed once per distinct value and spread back to the rows with ``take``. Python runs
per distinct value only; per row, the work is Arrow's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.memo import short_text_cache
from keepfaith.urlsecrets import path_shown
from keepfaith.weblog.privacy import registry_countries, truncated_networks, visitor_pseudonyms
from keepfaith.weblog.useragents import agents_families

PAGE_EXTENSIONS = ("", "html", "htm", "php", "asp", "aspx", "jsp", "shtml")
PAGE_METHODS = ("GET", "POST")
EXTENSION_MAX = 10
DayKeys = Callable[[list[date]], dict[date, bytes]]


@short_text_cache(maxsize=65_536)
def extension(path: str) -> str:
    """The lower-case extension of the path's last segment ('' for none or a long one)."""
    last = path.rpartition("/")[2]
    _, dot, ext = last.rpartition(".")
    return ext.lower() if dot and len(ext) <= EXTENSION_MAX else ""


@short_text_cache(maxsize=65_536)
def referrer_parts(referrer: str) -> tuple[str | None, str | None]:
    """(domain, page) of a referrer: the lower-case host of a URL, and the referrer without
    its query and fragment, its tokens and references replaced (None for none: '' or '-')."""
    domain = None
    if "://" in referrer:
        host = referrer.split("://", 2)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        domain = host.split(":", 1)[0].lower() or None
    page = None if referrer in ("", "-") else referrer.split("?", 1)[0].split("#", 1)[0]
    return domain, None if page is None else path_shown(page)


def _encoded(rows: pa.Table, name: str) -> pa.DictionaryArray:
    return pc.dictionary_encode(rows.column(name).combine_chunks())


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _spread(values: pa.Array, at: pa.Array) -> pa.DictionaryArray:
    """``values[at]`` as a dictionary column: the distinct values once, and per row an index
    (an integer ``take``: no text is copied per row). A null in ``values`` is a null row."""
    distinct = pc.dictionary_encode(values)
    return pa.DictionaryArray.from_arrays(pc.take(distinct.indices, at), distinct.dictionary)


def chunk_facts(parsed: pa.Table, *, day_keys: DayKeys) -> pa.Table:
    """The facts (with ``day``) of the requests in ``parsed`` (rows whose problem is NULL).

    Text columns come out dictionary-encoded (``dictionary<int32, string>``): the Parquet
    parts store them so anyway, and no per-row text is built on the way.
    """
    rows = parsed
    if parsed.column("problem").null_count != len(parsed):
        rows = parsed.filter(pc.is_null(parsed.column("problem")))
    ts = rows.column("ts").combine_chunks()
    status = rows.column("status").combine_chunks()
    day = pc.cast(ts, pa.date32())

    hosts = _encoded(rows, "host")
    names = hosts.dictionary.to_pylist()
    network_of = pc.dictionary_encode(truncated_networks(hosts=hosts.dictionary))
    countries = _strings(list(registry_countries(addresses=names)))

    agents = _encoded(rows, "user_agent")
    families = agents_families(user_agents=agents.dictionary.to_pylist())
    crawlers = _strings([item.crawler for item in families])
    crawler = _spread(crawlers, agents.indices)

    days = pc.dictionary_encode(day)
    day_list: list[date] = days.dictionary.to_pylist()
    keys = day_keys(day_list)
    # One integer per (day, network, agent); the pseudonym is computed once per distinct one.
    networks, agent_count = len(network_of.dictionary), len(agents.dictionary)
    triple = pc.add(
        pc.multiply(
            pc.add(
                pc.multiply(days.indices.cast(pa.int64()), networks),
                pc.take(network_of.indices.cast(pa.int64()), hosts.indices),
            ),
            agent_count,
        ),
        agents.indices.cast(pa.int64()),
    )
    triples = pc.dictionary_encode(triple)
    day_at = pc.divide(triples.dictionary, networks * agent_count)  # integer division
    rest = pc.subtract(triples.dictionary, pc.multiply(day_at, networks * agent_count))
    network_at = pc.divide(rest, agent_count)
    agent_at = pc.subtract(rest, pc.multiply(network_at, agent_count))
    visitors = visitor_pseudonyms(
        keys=[keys[value] for value in day_list],
        key_at=day_at,
        days=pc.take(_strings([value.isoformat() for value in day_list]), day_at),
        networks=pc.take(network_of.dictionary, network_at),
        user_agents=pc.take(agents.dictionary, agent_at),
    )

    targets = _encoded(rows, "target")
    bare = pc.list_element(pc.split_pattern(targets.dictionary, "?", max_splits=1), 0)
    # tokens and references in a path would link a visit to a customer (BE-5)
    bare_paths: list[str | None] = bare.to_pylist()
    shown: list[str | None] = list(bare_paths)
    known = [(at, p) for at, p in enumerate(bare_paths) if p is not None]
    for (at, _), value in zip(known, path_shown.each(p for _, p in known), strict=True):
        shown[at] = value
    paths = pc.dictionary_encode(_strings(shown))
    path_at = pc.take(paths.indices, targets.indices)
    path = pa.DictionaryArray.from_arrays(path_at, paths.dictionary)
    extensions = _strings(extension.each(paths.dictionary.to_pylist()))
    ext = _spread(extensions, path_at)
    referrers = _encoded(rows, "referrer")
    domains, pages = zip(*referrer_parts.each(referrers.dictionary.to_pylist()), strict=True)
    methods = _encoded(rows, "method")
    upper_methods = pc.utf8_upper(methods.dictionary)
    method = _spread(upper_methods, methods.indices)
    vhosts = _encoded(rows, "vhost")
    no_vhost = pc.equal(vhosts.dictionary, "-")
    vhost = _spread(
        pc.if_else(no_vhost, pa.scalar(None, pa.string()), vhosts.dictionary), vhosts.indices
    )
    # per distinct value first, then spread to the rows as booleans
    page_like = pc.and_(
        pc.is_null(pc.take(crawlers, agents.indices)),
        pc.or_(pc.less(status, 300), pc.equal(status, 304)),
    )
    page_ext = pc.take(pc.is_in(extensions, pa.array(PAGE_EXTENSIONS)), path_at)
    page_method = pc.take(pc.is_in(upper_methods, pa.array(PAGE_METHODS)), methods.indices)
    is_page = pc.and_(page_like, pc.and_(page_ext, page_method))
    page_of = pc.dictionary_encode(_strings(list(pages)))
    page_at = pc.take(page_of.indices, referrers.indices)
    no_page = pa.scalar(None, page_at.type)
    return pa.table({
        "day": day,
        "ts": ts,
        "visitor": pc.take(visitors, triples.indices),
        "country": _spread(countries, hosts.indices),
        "method": method,
        "path": path,
        "ext": ext,
        "is_page": is_page,
        "status": status,
        "bytes": rows.column("bytes").combine_chunks(),
        "referrer_domain": _spread(_strings(list(domains)), referrers.indices),
        "referrer_page": pa.DictionaryArray.from_arrays(
            pc.if_else(pc.greater_equal(status, 400), page_at, no_page), page_of.dictionary
        ),
        "browser": _spread(_strings([item.browser for item in families]), agents.indices),
        "os": _spread(_strings([item.os for item in families]), agents.indices),
        "crawler": crawler,
        "vhost": vhost,
    })  # fmt: skip
