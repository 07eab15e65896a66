"""Read any pile of inputs into `Article`s: files, directories, zip archives; txt, HTML, JSON, JSONL, feeds.

`read_paths` walks the paths and yields, in a stable order, either an `Article` ready for the
per-article stages or a `Rejection` naming the file (and line or record) and the reason. A bad input
never stops the run: every other input is still read.

Formats are told by extension first and by content when the extension says nothing:
`.txt` (first non-empty line is the title), `.html/.htm`, `.json` (an array of records, or one
record), `.jsonl`, `.xml/.rss/.atom` feeds. Records carry `id, source, url, title, text|content,
published|date|date_extracted, author` (SaudiNewsNet's day files as they are).
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .article import Article, InputError, Rejection
from .clean import clean_text, clean_title
from .dates import day_number, parse_date, pick_byline_date
from .decode import decode_bytes
from .extract import feed_records, html_record, looks_like_feed, looks_like_html
from .langid import is_arabic

__all__ = ["DEFAULT_MAX_BYTES", "Input", "iter_inputs", "read_input", "read_paths", "prepare"]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
TEXT_FIELDS = ("text", "content", "body")
DATE_FIELDS = ("published", "date", "date_published", "pubDate", "date_extracted")
_SKIP = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass
class Input:
    """One file's bytes, named as the user will recognise it (`day.zip!day.json`)."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return os.path.splitext(self.name.rsplit("!", 1)[-1])[1].lower()

    @property
    def stem(self) -> str:
        return os.path.splitext(os.path.basename(self.name.rsplit("!", 1)[-1]))[0]


def _too_big(size: int, max_bytes: int) -> str:
    return f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (raise it with --max-size)"


def _iter_zip(name: str, data_or_path, max_bytes: int, depth: int = 0) -> Iterator[Input | Rejection]:
    try:
        archive = zipfile.ZipFile(data_or_path)
    except (zipfile.BadZipFile, OSError) as err:
        yield Rejection(name, f"broken zip archive: {err}")
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            member = f"{name}!{info.filename}"
            base = os.path.basename(info.filename)
            if info.is_dir() or not base or base.startswith(".") or base.lower() in _SKIP:
                continue
            if info.file_size > max_bytes:
                yield Rejection(member, _too_big(info.file_size, max_bytes))
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as err:
                yield Rejection(member, f"cannot read archive member: {err}")
                continue
            if base.lower().endswith(".zip") and depth < 2:
                import io

                yield from _iter_zip(member, io.BytesIO(data), max_bytes, depth + 1)
            else:
                yield Input(member, data)


def _iter_file(path: Path, max_bytes: int) -> Iterator[Input | Rejection]:
    name = str(path)
    try:
        size = path.stat().st_size
        if path.suffix.lower() == ".zip":
            yield from _iter_zip(name, path, max_bytes)
            return
        if size > max_bytes:
            yield Rejection(name, _too_big(size, max_bytes))
            return
        yield Input(name, path.read_bytes())
    except OSError as err:
        yield Rejection(name, f"cannot read file: {err.strerror or err}")


def iter_inputs(paths: Iterable[str | Path], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Input | Rejection]:
    """Every file under `paths` (directories recursively, zip archives opened), in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = False
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in sorted(files):
                    if not fname.startswith(".") and fname.lower() not in _SKIP:
                        found = True
                        yield from _iter_file(Path(root) / fname, max_bytes)
            if not found:  # else `rasd ingest typo/` would say only "ingested 0"
                yield Rejection(str(raw), "directory holds no files to read (hidden files are skipped)")
        elif path.exists():
            yield from _iter_file(path, max_bytes)
        else:
            yield Rejection(str(raw), "no such file or directory")


def _first(record: dict, fields: tuple[str, ...]):
    for name in fields:
        value = record.get(name)
        if value not in (None, ""):
            return value, name
    return None, None


def _str(record: dict, name: str, origin: str) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"field {name!r} should be a string, not {type(value).__name__}")
    return value.strip() or None


def unescaped(value: str) -> str:
    """`value` with its HTML character references decoded. Scrapers keep them in records' strings: 232
    SaudiNewsNet headlines read `&quot;فنون أبها&quot;` or `&#8220;...&#8221;`, which an analyst should not see,
    and whose `quot` was a title word shared by every such headline of the day."""
    return html.unescape(value) if "&" in value else value


def derived_id(url: str | None, title: str, text: str) -> str:
    """A stable id for inputs that carry none: from the url, else from the content."""
    key = url or f"{title}\n{text}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def article_from_record(record: dict, origin: str, stem_id: str | None = None) -> Article:
    """An `Article` from a JSON-like record; raises InputError naming what is wrong."""
    if not isinstance(record, dict):
        raise InputError(f"expected an object with article fields, got {type(record).__name__}")
    text, text_field = _first(record, TEXT_FIELDS)
    title = _str(record, "title", origin) or ""
    if text is None and not title:
        raise InputError("no article text (fields 'text' or 'content' are missing or empty, and no title)")
    if text is not None and not isinstance(text, str):
        raise InputError(f"field {text_field!r} should be a string, not {type(text).__name__}")
    text = text or ""  # headline-only items (briefs, photo pages) are kept; prepare() shows the headline
    url = _str(record, "url", origin) or _str(record, "link", origin)
    given = _str(record, "id", origin)
    date_value, date_field = _first(record, DATE_FIELDS)
    published = parse_date(date_value) if isinstance(date_value, (str, int, float)) else None
    if date_value is not None and published is None:
        raise InputError(f"field {date_field!r} is not a date: {str(date_value)[:40]!r}")
    return Article(
        id=given or stem_id or derived_id(url, title, text),  # as given: ids stay those of earlier runs
        id_source="input" if given else "path" if stem_id else "url" if url else "content",
        title=unescaped(title),
        text=unescaped(text),
        source=_str(record, "source", origin),
        url=url,
        author=_str(record, "author", origin),
        published=published,
        date_source=record.get("date_source") or (date_field and "input"),
        origin=origin,
        raw=text,
    )


def _json_records(inp: Input, text: str) -> Iterator[Article | Rejection]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if inp.suffix != ".json":  # content-sniffed: may still be JSON lines
            yield from _jsonl_records(inp, text)
        else:
            yield Rejection(inp.name, f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}")
        return
    if isinstance(data, dict):
        data = data.get("articles", data.get("items", [data]))
    if not isinstance(data, list):
        yield Rejection(inp.name, "JSON must be an array of article objects (or one object)")
        return
    for index, record in enumerate(data):
        origin = f"{inp.name}#{index}"
        try:
            yield article_from_record(record, origin)
        except InputError as err:
            yield Rejection(origin, f"record {index}: {err}")


def _jsonl_records(inp: Input, text: str) -> Iterator[Article | Rejection]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        origin = f"{inp.name}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield Rejection(origin, f"line {lineno}: malformed JSON ({err.msg} at column {err.colno})")
            continue
        try:
            yield article_from_record(record, origin)
        except InputError as err:
            yield Rejection(origin, f"line {lineno}: {err}")


def _text_article(inp: Input, text: str) -> Article:
    lines = text.splitlines()
    cleaned = clean_text(text)
    title, _, body = cleaned.text.partition("\n")
    if not body.strip():
        raise InputError("no article text after the title line")
    byline = pick_byline_date(cleaned.lines_of("lone_date"))
    return Article(id=inp.stem, id_source="path", title=title.strip(), text=body, origin=inp.name, raw="\n".join(lines),
                   published=byline, date_source="byline" if byline else None)


def read_input(inp: Input) -> Iterator[Article | Rejection]:
    """Articles (or rejections) in one file, by extension and then by content."""
    try:
        text = decode_bytes(inp.data)
    except InputError as err:
        yield Rejection(inp.name, str(err))
        return
    suffix, head = inp.suffix, text.lstrip()[:1]
    try:
        if suffix == ".jsonl" or suffix == ".ndjson":
            yield from _jsonl_records(inp, text)
        elif suffix == ".json" or (suffix not in {".txt", ".html", ".htm"} and head in "[{" and head):
            yield from _json_records(inp, text)
        elif suffix in {".rss", ".atom", ".xml"} or (suffix != ".txt" and looks_like_feed(text)):
            for index, record in enumerate(feed_records(text)):
                origin = f"{inp.name}#{index}"
                try:
                    yield article_from_record(record, origin)
                except InputError as err:
                    yield Rejection(origin, f"feed entry {index}: {err}")
        elif suffix in {".html", ".htm", ".xhtml"} or (suffix != ".txt" and looks_like_html(text)):
            record = html_record(text)
            yield article_from_record(record, inp.name, stem_id=inp.stem if not record.get("url") else None)
        else:
            yield _text_article(inp, text)
    except InputError as err:
        yield Rejection(inp.name, str(err))


def prepare(article: Article) -> Article | Rejection:
    """Clean the display text, fall back on the byline date, and keep only Arabic articles."""
    article.title = clean_title(article.title)
    cleaned = clean_text(article.text, article.title)
    article.text = cleaned.text
    if not article.published:
        byline = pick_byline_date(cleaned.lines_of("lone_date"))
        if byline:
            article.published, article.date_source = byline, "byline"
    if not article.text.strip() and not article.title.strip():
        return Rejection(article.origin, "no article text left after removing boilerplate")
    if not article.text.strip():
        article.text = article.title  # headline-only items (briefs, photo captions) keep their headline
    arabic, lang = is_arabic(article.full_text)
    if not arabic:
        return Rejection(article.origin, f"not Arabic: detected language {lang}")
    return article


ORDER_WINDOW = 1000  # articles read before those read so far are put in `decision_order`
ORDER_WINDOW_MAX = 20_000  # ...even inside one input (a zip of a month): memory stays bounded


def _dated_key(article: Article) -> tuple[str, str, float] | None:
    """(day as the outlet dates it, outlet, time), None when undated."""
    time = day_number(article.published)
    return None if time is None else (article.published[:10], article.source or "", time)


def decision_order(articles: Iterable[Article]) -> list[Article]:
    """`articles` in the order the story engine should decide them: day by day (its candidate windows
    assume time moves forward), within a day outlet by outlet, each outlet's in time order (an outlet's
    follow-ups and multi-part features together, as SaudiNewsNet's own files list a day); ties as listed. An
    undated article stays right after the article listed before it (first if none): compared on content
    alone, it must meet the stories of its neighbours before they close (seed 002 with seed 000). The gold
    days' files are in this order already (B-cubed F1 0.937 cross-validated on slices and on whole days);
    shuffled, they come back to it but for an outlet's articles dated the same second (shuffled and sorted:
    0.937; decided as listed: 0.932-0.934)."""
    keyed, last = [], ("", "", float("-inf"), -1)
    for position, article in enumerate(articles):
        key = _dated_key(article)
        if key is not None:
            last = (*key, position)
        keyed.append(((*last, 0 if key is not None else 1, position), article))
    keyed.sort(key=lambda pair: pair[0])
    return [article for _, article in keyed]


def read_paths(paths: Iterable[str | Path], max_bytes: int = DEFAULT_MAX_BYTES,
               clean: bool = True, ordered: bool = False) -> Iterator[Article | Rejection]:
    """Every article under `paths`, prepared, or a rejection saying which input failed and why.

    With `clean=False` the articles come as read, and `prepare` is left to the caller (an ingest
    run does it in its worker processes). With `ordered` they come in `decision_order`, whatever the
    order of the files and of the records in them, so that one pile gives the same stories however it
    is listed; sorted a window at a time: at the end of an input (a day's archive, a feed, a file) once
    `ORDER_WINDOW` articles are read, and inside one once `ORDER_WINDOW_MAX` are.
    """
    window: list[Article] = []
    for item in iter_inputs(paths, max_bytes):
        if isinstance(item, Rejection):
            yield item
            continue
        for result in read_input(item):
            if isinstance(result, Rejection):
                yield result
            elif ordered:
                window.append(result)
                if len(window) >= ORDER_WINDOW_MAX:
                    yield from _in_order(window, clean)
                    window = []
            else:
                yield prepare(result) if clean else result
        if len(window) >= ORDER_WINDOW:
            yield from _in_order(window, clean)
            window = []
    yield from _in_order(window, clean)


def _in_order(articles: list[Article], clean: bool) -> Iterator[Article | Rejection]:
    for article in decision_order(articles):
        yield prepare(article) if clean else article
