"""The `rasd` command line: a thin shell over the library; errors say what went wrong and what to do."""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from . import DEMO_DIR, __version__
from .article import InputError
from .dates import parse_date
from .normalize import matching_form
from .store import Store, StoreError

DEFAULT_DB = "rasd.db"


def _emit(data, as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(text if text is not None else data)


def db_option(default: str = DEFAULT_DB):
    return click.option("--db", "db_path", default=default, envvar="RASD_DB", show_default=True,
                        type=click.Path(dir_okay=False), help="SQLite database file (env RASD_DB).")


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def open_store(path: str) -> Store:
    try:
        return Store(path)
    except StoreError as err:
        raise click.ClickException(f"{err}. Point --db at a rasd database or a new file.") from None


def require_db(path: str) -> None:
    """A command that only reads: stop when --db names no file, rather than let SQLite create an empty
    database there and answer "No stories." for a mistyped path."""
    if path != ":memory:" and not Path(path).exists():
        raise click.ClickException(f"no database at {path}; create one with `rasd ingest FILES --db {path}`"
                                   " or point --db (env RASD_DB) at one")


def with_store(fn=None, *, create: bool = False):
    """Open the --db store for the command and close it afterwards; only a command that writes articles
    (`create`) may start a new database file."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(db_path, *args, **kwargs):
            if not create:
                require_db(db_path)
            store = open_store(db_path)
            try:
                return fn(store, *args, **kwargs)
            finally:
                store.close()
        return wrapper
    return decorate(fn) if fn is not None else decorate


def check_outlet(store: Store, source: str | None) -> None:
    """A `--source` no stored article has is most often a typo: say so, with the outlets there are, rather
    than print an empty list."""
    if not source:
        return
    outlets = store.outlets()
    if source in outlets:
        return
    import difflib

    near = difflib.get_close_matches(source.lower(), [o.lower() for o in outlets], n=3, cutoff=0.6)
    near = [o for o in outlets if o.lower() in near]
    listed = ", ".join(f"{o} ({n})" for o, n in list(outlets.items())[:20]) or "none (no article names its outlet)"
    hint = f" (did you mean {' or '.join(near)}?)" if near else ""
    raise click.BadParameter(f"no article in {store.path} is from {source!r}{hint}. Outlets: {listed}",
                             param_hint="'--source'")


def _date_option(ctx, param, value):
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD")
    return parsed


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rasd")
def cli():
    """rasd (رصد): turn piles of Arabic news articles into stories."""


AUTO_WORKERS = 2  # beyond two, the ingesting process (one article at a time) is what the run waits for
AUTO_WORKERS_MB = 1


def auto_workers(paths) -> int:
    """`AUTO_WORKERS` for an input of `AUTO_WORKERS_MB` or more on a machine with that many cores, else 1."""
    if (os.cpu_count() or 1) < AUTO_WORKERS:
        return 1
    need, seen = AUTO_WORKERS_MB * 1024 * 1024, 0
    for path in map(Path, paths):
        files = [path] if not path.is_dir() else (p for p in path.rglob("*") if p.is_file())
        for file in files:
            try:
                seen += file.stat().st_size
            except OSError:  # missing or unreadable: the reader rejects it with the reason
                continue
            if seen >= need:
                return AUTO_WORKERS
    return 1


def run_ingest(store: Store, paths, max_size_mb: float, source: str | None, quiet: bool, workers: int = 1):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .ingest import read_paths
    from .pipeline import Pipeline
    from .snapshot import snapshot_path

    def with_source(items):
        for item in items:
            if source and getattr(item, "source", "set") is None:
                item.source = source
            yield item

    console = Console(stderr=True)
    stored = store.article_count()
    saved = snapshot_path(store.path)  # the state as the last run left it, when the store is as it was then
    if quiet or not console.is_terminal or not stored:
        pipeline = Pipeline(store, snapshot=saved)
    else:  # loaded from its snapshot, or rebuilt from every stored article (~20 s on a 30k-article store)
        with console.status(f"[bold]ingest[/bold] loading the story engine for {stored:,} stored articles"):
            pipeline = Pipeline(store, snapshot=saved)
    items = with_source(read_paths(paths, int(max_size_mb * 1024 * 1024), clean=False, ordered=True))  # cleaned by the pipeline
    if quiet or not console.is_terminal:
        return pipeline.ingest(items, workers=workers, clean=True, freeze_gc=True)
    with Progress(TextColumn("[bold]ingest"), BarColumn(), TextColumn("{task.completed} articles"),
                  TextColumn("{task.fields[read]}"), TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None, detail="", read="")

        def tick(item, outcome):
            bar.update(task, advance=1, detail=f"{outcome}: {Path(getattr(item, 'origin', '') or getattr(item, 'path', '')).name[:40]}")

        def read(count):  # up to 500 are read and prepared before the first is decided
            bar.update(task, read=f"({count} read)")
        return pipeline.ingest(items, on_item=tick, workers=workers, clean=True, freeze_gc=True, on_read=read)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option()
@json_option
@click.option("--max-size", "max_size_mb", default=50.0, show_default=True, help="Largest file to read, in MB.")
@click.option("--source", help="Outlet name for articles whose input does not say (plain text files).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Processes for the per-article stages (cleaning, dates, features, NER, search keys). "
                   f"Default: {AUTO_WORKERS} when the machine has that many cores and the input is "
                   f"{AUTO_WORKERS_MB} MB or more (a day of SaudiNewsNet is 2-3.4), else 1 (starting them takes seconds).")
@with_store(create=True)
def ingest(store, paths, as_json, max_size_mb, source, quiet, workers):
    """Read files, directories and .zip archives (txt, HTML, JSON, JSONL, RSS/Atom) into the database.

    Exits with status 1 when any input was rejected; everything valid is stored anyway.
    """
    summary = run_ingest(store, paths, max_size_mb, source, quiet, workers or auto_workers(paths))
    if as_json:
        _emit(summary.to_json(), True)
    else:
        click.echo(f"ingested {summary.ingested}, duplicates {summary.duplicates}, rejected {len(summary.rejected)}")
        for rejection in summary.rejected:
            click.echo(f"  rejected {rejection.path}: {rejection.reason}", err=True)
    if summary.rejected:
        sys.exit(1)


@cli.command()
@db_option()
@json_option
@click.option("--since", callback=_date_option, help="Only stories active on or after this date (YYYY-MM-DD).")
@click.option("--until", callback=_date_option, help="Only stories that began on or before this date.")
@click.option("--source", help="Only stories with an article from this outlet.")
@click.option("--thread", type=int, help="Only the stories of this thread.")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many stories.")
@with_store
def stories(store, as_json, since, until, source, thread, limit):
    """List stories, most recently active first."""
    from .report import render_stories

    check_outlet(store, source)
    found = store.stories(since=since, until=until, source=source, thread=thread)[:limit]
    _emit(found, as_json, render_stories(found))


@cli.command()
@click.argument("story_id", type=int)
@db_option()
@json_option
@with_store
def story(store, story_id, as_json):
    """Show one story: its articles with outlet and date, and why each joined."""
    from .report import render_story, story_report

    report = story_report(store, story_id)
    if report is None:
        raise click.ClickException(f"no story {story_id} in {store.path}; list them with `rasd stories`")
    _emit(report, as_json, render_story(report))


@cli.command()
@click.argument("thread_id", type=int)
@db_option()
@json_option
@with_store
def thread(store, thread_id, as_json):
    """Show a thread: the stories about one long-running matter, oldest first."""
    from .report import render_thread, thread_report

    report = thread_report(store, thread_id)
    if report is None:
        raise click.ClickException(f"no thread {thread_id} in {store.path}; see the thread column of `rasd stories`")
    _emit(report, as_json, render_thread(report))


@cli.command()
@db_option()
@json_option
@click.option("--run", "run_id", type=int, help="Only rejections of this ingest run.")
@with_store
def rejections(store, as_json, run_id):
    """List inputs that were rejected, and why."""
    rows = store.rejections(run_id)
    _emit(rows, as_json, "\n".join(f"run {r['run_id']}: {r['path']}: {r['reason']}" for r in rows) or "No rejections.")


@cli.command()
@click.argument("text", nargs=-1, required=True)
def normalize(text):
    """Print the matching form of TEXT (use - to read standard input)."""
    raw = sys.stdin.read() if text == ("-",) else " ".join(text)
    click.echo(matching_form(raw))


@cli.command()
@db_option(default="rasd-demo.db")
@json_option
def demo(db_path, as_json):
    """Ingest the five bundled sample articles and print the story report of their thread."""
    from .report import render_thread, thread_report

    store = open_store(db_path)
    try:
        summary = run_ingest(store, [DEMO_DIR], 50.0, None, quiet=True)
        seed_ids = {p.stem for p in DEMO_DIR.glob("*.txt")}
        threads = sorted({s["thread"] for s in store.stories() if seed_ids & set(s["article_ids"])})
        reports = [thread_report(store, t) for t in threads]
        if as_json:
            _emit({"ingest": summary.to_json(), "threads": reports}, True)
            return
        click.echo(f"rasd demo: {len(seed_ids)} sample articles -> {db_path} "
                   f"(ingested {summary.ingested}, already there {summary.duplicates})\n")
        click.echo("\n\n".join(render_thread(r) for r in reports))
    finally:
        store.close()


@cli.group(name="eval")
def eval_group():
    """Score rasd against hand-made gold."""


@eval_group.command(name="stories")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@db_option()
@json_option
@with_store
def eval_stories(store, gold, as_json):
    """B-cubed and pairwise precision/recall/F1 of the stories of ingested articles against GOLD.jsonl."""
    from .evaluate import load_gold, score_stories

    try:
        gold_labels = load_gold(gold)
    except InputError as err:
        raise click.ClickException(str(err)) from None
    predicted = {k: v for k, v in store.story_ids_by_article().items() if v is not None}
    result = score_stories(predicted, gold_labels)
    if result["scored"] == 0:
        raise click.ClickException(f"none of the {len(gold_labels)} gold ids is in {store.path}; ingest the articles first")
    b, p = result["bcubed"], result["pairwise"]
    text = (f"scored {result['scored']} of {result['gold_articles']} gold articles "
            f"({result['gold_stories']} gold stories, {result['predicted_stories']} predicted)\n"
            f"B-cubed  P {b['precision']:.4f}  R {b['recall']:.4f}  F1 {b['f1']:.4f}\n"
            f"pairwise P {p['precision']:.4f}  R {p['recall']:.4f}  F1 {p['f1']:.4f}")
    _emit(result, as_json, text)


def _read_conll(file: str | None) -> tuple[list[str], str]:
    """Lines of a CoNLL FILE, or of standard input when it is None or `-`."""
    from .conll import decode

    source = file if file not in (None, "-") else "<stdin>"
    try:
        data = sys.stdin.buffer.read() if source == "<stdin>" else Path(file).read_bytes()
    except OSError as err:
        raise click.ClickException(f"cannot read {source}: {err.strerror}") from None
    try:
        return decode(data, source), source
    except InputError as err:
        raise click.ClickException(str(err)) from None


def _load_tagger():
    from .ner import NerError, load_tagger

    try:
        return load_tagger()
    except NerError as err:
        raise click.ClickException(str(err)) from None


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
def tag(file):
    """Tag the tokens of a CoNLL FILE (standard input when left out) with PER/ORG/LOC/MISC BIO tags.

    Input: one token per line (first column; other columns are ignored), a blank line between
    sentences. Output: `token<TAB>tag` lines in the same order, blank lines kept.
    """
    from .ner import tag_conll

    lines, _ = _read_conll(file)
    tagger = _load_tagger()
    for line in tag_conll(lines, tagger):
        click.echo(line)


@eval_group.command(name="ner")
@click.argument("gold", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
def eval_ner(gold, as_json):
    """Entity precision/recall/F1 (per type and micro, exact spans as conlleval) on a gold CoNLL file.

    GOLD has the token in the first column and its BIO tag in the last (ANERcorp's PERS counts as PER).
    """
    from .ner import evaluate_conll

    lines, source = _read_conll(gold)
    tagger = _load_tagger()
    try:
        result = evaluate_conll(lines, source, tagger)
    except InputError as err:
        raise click.ClickException(str(err)) from None
    rows = [f"{'type':<6} {'precision':>9} {'recall':>7} {'f1':>7} {'gold':>6} {'found':>6}"]
    for kind, s in [*result["types"].items(), ("micro", result["micro"])]:
        rows.append(f"{kind:<6} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} {s['gold']:>6} {s['predicted']:>6}")
    header = f"{source}: {result['sentences']} sentences, {result['tokens']} tokens, token accuracy {result['accuracy']:.4f}"
    _emit(result, as_json, "\n".join([header, *rows]))


# -- search and export (rasd/search.py, rasd/export.py) ------------------------------------------
def _marked(text: str, spans: list[list[int]]) -> str:
    """`text` with each [start, end] span bracketed (and coloured on a terminal)."""
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], click.style(f"[{text[start:end]}]", bold=True, fg="yellow")]
        last = end
    return "".join(out) + text[last:]


def render_search(result: dict) -> str:
    if not result["results"]:
        return f"No articles match {result['query']!r}."
    shown = f"{result['offset'] + 1}-{result['offset'] + len(result['results'])}"
    lines = [f"{result['total']} article(s) match"
             + (" some of the words" if result.get("match") == "any" else "") + f"; showing {shown}"]
    for hit in result["results"]:
        date = (hit["published"] or "date unknown").replace("T", " ")[:16]
        lines += [f"\n{hit['id']} | {hit['source'] or 'outlet unknown'} | {date} | story {hit['story_id']}"
                  f" | score {hit['score']}",
                  "  " + _marked(hit["title"], hit.get("title_highlights", [])),
                  "  " + _marked(hit["snippet"], hit["highlights"])]
    if result["stories"]:
        lines.append("\nstories:")
        lines += [f"  {s['id']:>6}  {s['hits']:>3} hit(s) of {s['size']:>3}  {s['title']}" for s in result["stories"]]
    return "\n".join(lines)


@cli.command()
@click.argument("query")
@db_option()
@json_option
@click.option("--source", help="Only articles from this outlet.")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published on or before this date.")
@click.option("--entity", help="Only articles that mention this entity (id or name; needs entity annotations).")
@click.option("--story", "story_id", type=int, help="Only articles of this story.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Hits per page.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Hits to skip (paging).")
@with_store
def search(store, query, as_json, source, since, until, entity, story_id, limit, offset):
    """Search articles (spelling-tolerant: برنين finds برينان), best and newest first, with snippets."""
    from .search import SearchError, search as run_search

    check_outlet(store, source)
    try:
        result = run_search(store, query, source=source, since=since, until=until, entity=entity,
                            story=story_id, limit=limit, offset=offset)
    except SearchError as err:
        raise click.ClickException(str(err)) from None
    _emit(result, as_json, render_search(result))


@cli.command()
@db_option()
def reindex(db_path):
    """Rebuild the search index from the stored articles (after upgrading rasd's search keys)."""
    require_db(db_path)
    store = open_store(db_path)
    try:
        click.echo(f"indexed {store.reindex_search()} articles for search")
    finally:
        store.close()


@cli.command(name="export")
@db_option()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "md", "html"]), required=True,
              help="jsonl: one story report per line; csv: one row per article; md/html: a report to send.")
@click.option("--story", "story_ids", type=int, multiple=True, help="Only this story (repeatable).")
@click.option("--since", help="Only stories active on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only stories that began on or before this date.")
@click.option("--source", help="Only stories with an article from this outlet.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here, not to stdout.")
@with_store
def export_cmd(store, fmt, story_ids, since, until, source, output):
    """Export stories with their articles and annotations (JSONL, CSV, Markdown or an RTL HTML page)."""
    from .export import ExportError, export

    check_outlet(store, source)
    try:
        data = export(store, fmt, list(story_ids) or None, since=since, until=until, source=source)
    except ExportError as err:
        raise click.ClickException(str(err)) from None
    if output is None:
        click.echo(data, nl=False)
        return
    try:
        Path(output).write_text(data, encoding="utf-8")
    except OSError as err:
        raise click.ClickException(f"cannot write {output}: {err.strerror}") from None


# -- serve: JSON API and web UI (rasd/api.py, rasd/web.py) ---------------------------------------
@cli.command()
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback exposes the database to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0: any free one).")
@click.option("--token", envvar="RASD_TOKEN", default=None,
              help="Allow POST /api/ingest with `Authorization: Bearer TOKEN` (env RASD_TOKEN); read-only without it.")
@click.option("--max-body", "max_body_mb", default=5.0, show_default=True, type=click.FloatRange(0.001),
              help="Largest ingest request body, in MB.")
def serve(db_path, host, port, token, max_body_mb):
    """Serve the JSON API (/api, schema at /openapi.json) and the Arabic web UI (/) for a database."""
    import uvicorn

    from .api import ApiConfigError, create_app, is_loopback

    try:
        app = create_app(db_path, token=token, max_body_bytes=int(max_body_mb * 1_000_000))
    except ApiConfigError as err:
        raise click.ClickException(str(err)) from None
    if not is_loopback(host):
        click.echo(f"warning: binding {host} makes the database readable by anyone who can reach this machine"
                   + ("; and with --token, writable by whoever has the token" if token else ""), err=True)
    click.echo(f"rasd: serving {db_path} on http://{host}:{port}/ ({'ingest allowed with token' if token else 'read-only'})",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)


# -- entities (rasd/entities.py) -----------------------------------------------------------------
ENTITY_TYPES = click.Choice(["PER", "ORG", "LOC", "MISC"], case_sensitive=False)


def render_entities(found: list[dict]) -> str:
    if not found:
        return "No entities."
    return "\n".join(f"{e['id']:>6}  {e['type']:<4} {e['mentions']:>5} mention(s) {len(e['stories']):>4} stor(ies)  {e['name']}"
                     + (f"  [{', '.join(e['titles'][:2])}]" if e["titles"] else "")
                     + (f"  also: {' / '.join(v for v in e['variants'][:4] if v != e['name'])}" if len(e["variants"]) > 1 else "")
                     for e in found)


def render_entity(e: dict) -> str:
    lines = [f"Entity {e['id']} ({e['type']}): {e['name']} — {e['mentions']} mention(s)",
             f"  spellings: {' / '.join(e['variants'])}"]
    if e["titles"]:
        lines.append(f"  titles: {', '.join(e['titles'])}")
    if e["roles"]:
        lines.append(f"  roles: {'; '.join(e['roles'])}")
    lines.append(f"  stories ({len(e['stories'])}):")
    for s in e["stories"]:
        when = s["first_seen"][:10] if s["first_seen"] else "undated"
        lines.append(f"    {s['id']:>6}  {when}  {s['mentions']:>3} mention(s)  {s['title']}")
    return "\n".join(lines)


@cli.command(name="entities")
@db_option()
@json_option
@click.option("--type", "kind", type=ENTITY_TYPES, help="Only entities of this type.")
@click.option("--story", "story_id", type=int, help="Only entities named in this story (mentions counted there).")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many entities.")
@with_store
def entities_cmd(store, as_json, kind, story_id, limit):
    """List people, organisations, places and other names, one line per entity whatever its spellings."""
    if story_id is not None and store.story(story_id) is None:
        raise click.ClickException(f"no story {story_id} in {store.path}; list them with `rasd stories`")
    found = store.entities(kind=kind.upper() if kind else None, story_id=story_id, limit=limit)
    _emit([{k: e[k] for k in ("id", "type", "name", "variants", "titles", "mentions", "stories")} for e in found],
          as_json, render_entities(found))


@cli.command(name="entity")
@click.argument("name_or_id")
@db_option()
@json_option
@with_store
def entity_cmd(store, name_or_id, as_json):
    """Show one entity (by id or any spelling): its spellings, titles, roles and stories."""
    from .entities import find_entities

    if name_or_id.strip().isdigit():
        ids = [int(name_or_id)]
    else:
        ids = find_entities(store, name_or_id)
    found = [e for e in (store.entity(i) for i in ids) if e]
    if not found:
        raise click.ClickException(f"no entity {name_or_id!r} in {store.path}; list them with `rasd entities`")
    if len(found) > 1:
        if as_json:
            _emit({"ambiguous": name_or_id, "candidates": [
                {k: e[k] for k in ("id", "type", "name", "variants", "mentions")} for e in found]}, True)
            sys.exit(1)
        listing = "\n".join(f"  {e['id']:>6}  {e['type']:<4} {e['mentions']:>4} mention(s)  {e['name']}" for e in found)
        raise click.ClickException(f"{name_or_id!r} may be {len(found)} entities; pick one by id:\n{listing}")
    _emit(found[0], as_json, render_entity(found[0]))


@eval_group.command(name="entities")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@json_option
def eval_entities(gold, as_json):
    """Pairwise precision/recall/F1 of the entity merge rule on GOLD.jsonl name pairs.

    Each line: {"a": name, "b": name, "type": "PER"|"ORG"|"LOC"|"MISC", "same": true|false}.
    """
    from .entities import EntityError, load_variant_pairs, score_variants

    try:
        result = score_variants(load_variant_pairs(gold))
    except EntityError as err:
        raise click.ClickException(str(err)) from None
    rows = [f"{gold}: {result['pairs']} pairs, {result['same']} same",
            f"{'type':<6} {'precision':>9} {'recall':>7} {'f1':>7} {'pairs':>6}"]
    for kind, s in [*result["types"].items(), ("all", result | {"pairs": result["pairs"]})]:
        rows.append(f"{kind:<6} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} {s['pairs']:>6}")
    rows += [f"  wrong: {e['a']} | {e['b']} ({e['type']}): gold {'same' if e['gold'] else 'different'}"
             for e in result["errors"][:20]]
    _emit(result, as_json, "\n".join(rows))


# -- time expressions (rasd/timex.py) -----------------------------------------------------------

@cli.command(name="dates")
@click.argument("text", nargs=-1, required=True)
@click.option("--base", help="Date the text was published (YYYY-MM-DD) to resolve أمس, الخميس, الشهر الماضي against.")
@json_option
def dates_cmd(text, base, as_json):
    """Find the time expressions in TEXT (use - to read standard input) with their ISO values.

    `--json` prints a list of {"start", "end", "text", "value", "precision"}; offsets count characters
    of TEXT. Without --base, relative expressions get no value.
    """
    from .timex import TimexError, find_times

    raw = sys.stdin.read() if text == ("-",) else " ".join(text)
    try:
        found = find_times(raw, base)
    except TimexError as err:
        raise click.BadParameter(str(err), param_hint="--base") from None
    lines = [f"{s.start:>6} {s.end:>6}  {s.precision:<8} {s.value or '-':<24} {s.text}" for s in found]
    _emit([s.to_json() for s in found], as_json, "\n".join(lines) or "No time expressions.")


@eval_group.command(name="dates")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@db_option()
@json_option
@with_store
def eval_dates(store, gold, as_json):
    """Span P/R/F1 (exact and overlap) and value accuracy of time expressions against GOLD.jsonl.

    Each line: {"article", "text", "start", "end", "value", "precision"}, offsets into the display text
    of an ingested article. Relative expressions are resolved against the article's publication date,
    or its estimate (`rasd.timex.estimate_date`) when it has none.
    """
    from .timex import TimexError, article_base, find_times, load_time_gold, score_times

    try:
        gold_spans = load_time_gold(gold)
    except TimexError as err:
        raise click.ClickException(str(err)) from None
    predicted, missing = {}, []
    for article_id in gold_spans:
        row = store.db.execute("SELECT title, text, published FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            missing.append(article_id)
            continue
        base, _ = article_base(row[1], row[0], row[2])
        predicted[article_id] = [s.to_json() for s in find_times(row[1], base)]
    if missing:
        raise click.ClickException(f"{len(missing)} gold article(s) not in {store.path} ({', '.join(missing[:3])}...); "
                                   "ingest them first")
    result = score_times(predicted, gold_spans)
    e, o = result["exact"], result["overlap"]
    rows = [f"{result['articles']} articles, {result['gold']} gold spans, {result['predicted']} found",
            f"exact    P {e['precision']:.4f}  R {e['recall']:.4f}  F1 {e['f1']:.4f}",
            f"overlap  P {o['precision']:.4f}  R {o['recall']:.4f}  F1 {o['f1']:.4f}",
            f"value accuracy {result['value_accuracy']:.4f} (gold with a value: {result['resolved_value_accuracy']:.4f}), "
            f"precision accuracy {result['precision_accuracy']:.4f}"]
    rows += [f"  missed: {m['article']} {m['text']!r}" for m in result["misses"][:20]]
    rows += [f"  extra:  {m['article']} {m['text']!r}" for m in result["false_alarms"][:20]]
    rows += [f"  value:  {m['article']} {m['text']!r} gold {m['gold']} found {m['found']}" for m in result["wrong_values"][:20]]
    _emit(result, as_json, "\n".join(rows))


# -- quotations and reported numbers (rasd/quotes.py, rasd/numbers.py) ---------------------------

def _read_articles(paths) -> list:
    """Articles from files, directories and archives, as `rasd ingest` reads them; rejections go to stderr."""
    from .article import Rejection
    from .ingest import read_paths

    articles = []
    for item in read_paths(paths):
        if isinstance(item, Rejection):
            click.echo(f"  skipped {item.path}: {item.reason}", err=True)
        else:
            articles.append(item)
    if not articles:
        raise click.ClickException(f"no readable article in {', '.join(map(str, paths))}; see the reasons above")
    return articles


def _gold_texts(gold_ids: set[str], store_path: str, paths) -> dict[str, str]:
    """Display texts of the gold's articles: from PATHS when given, else from the --db store."""
    if paths:
        texts = {a.id: a.text for a in _read_articles(paths) if a.id in gold_ids}
        where = ", ".join(map(str, paths))
    else:
        require_db(store_path)
        store = open_store(store_path)
        try:
            texts = {i: row[0] for i in gold_ids
                     if (row := store.db.execute("SELECT text FROM articles WHERE id = ?", (i,)).fetchone())}
        finally:
            store.close()
        where = store_path
    missing = sorted(gold_ids - set(texts))
    if missing:
        raise click.ClickException(f"{len(missing)} gold article(s) not in {where} ({', '.join(missing[:3])}); "
                                   "ingest them or pass --articles PATH")
    return texts


def _score_gold(gold: str, db_path: str, paths, fields: tuple[str, ...], find, score) -> dict:
    """Read GOLD.jsonl, run `find` on the display text of each gold article, and `score` the result."""
    from .quotes import QuotesError, load_gold

    try:
        rows = load_gold(gold, fields)
    except QuotesError as err:
        raise click.ClickException(str(err)) from None
    texts = _gold_texts({r["article"] for r in rows}, db_path, paths)
    return score(rows, {a: find(t) for a, t in texts.items()})


articles_option = click.option("--articles", "article_paths", multiple=True, type=click.Path(exists=True),
                               help="Read the gold's articles from these files/directories instead of --db.")


@cli.command(name="quotes")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@json_option
def quotes_cmd(paths, as_json):
    """Quotations in article FILES (as `rasd ingest` reads them), grouped by speaker across the files."""
    from .quotes import find_quotes, group_quotes

    articles = _read_articles(paths)
    items = [(a.id, q) for a in articles for q in find_quotes(a.text)]
    groups = group_quotes(items)
    lines = []
    for g in groups:
        lines.append(f"{g['speaker'] or '(unknown speaker)'} [{g['speaker_type'] or '-'}]: {len(g['quotes'])}")
        lines += [f"  {q['article_id']} {q['cue']} {'«' if q['direct'] else '('}{q['text'][:140]}{'»' if q['direct'] else ')'}"
                  for q in g["quotes"]]
    _emit({"articles": [a.id for a in articles], "speakers": groups}, as_json, "\n".join(lines) or "No quotations.")


@cli.command(name="numbers")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@json_option
def numbers_cmd(paths, as_json):
    """Reported quantities in article FILES, aligned across them: agreed, conflicting or single."""
    from .numbers import compare_numbers, find_numbers

    articles = _read_articles(paths)
    rows = compare_numbers([(a.id, a.source, q) for a in articles for q in find_numbers(a.text)])
    lines = [f"{'status':<12} {'value':>14} {'unit':<8} {'counts':<24} sources"]
    for r in rows:
        lines.append(f"{r['status']:<12} {r['value']:>14,} {r['unit'] or '':<8} {r['counts'][:24]:<24} "
                     f"{len(r['sources'])}: {', '.join(r['article_ids'][:4])}")
        if r["status"] == "conflicting":
            lines += [f"{'':<12} {v['value']:>14,}  {v['text']}  ({', '.join(v['article_ids'][:4])})" for v in r["values"]]
    _emit({"articles": [a.id for a in articles], "numbers": rows}, as_json, "\n".join(lines))


@eval_group.command(name="quotes")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@db_option()
@articles_option
@json_option
def eval_quotes(gold, db_path, article_paths, as_json):
    """Quotation span P/R/F1 (overlap of half the shorter span) and speaker accuracy against GOLD.jsonl.

    Each line: {"article", "start", "end", "text", "direct", "speaker"}, offsets into the display text.
    """
    from .quotes import find_quotes, score_quotes

    result = _score_gold(gold, db_path, article_paths, ("article", "start", "end", "text", "direct", "speaker"),
                         find_quotes, score_quotes)
    lines = [f"{result['gold']} gold quotations, {result['predicted']} found, {result['matched']} matched",
             f"P {result['precision']:.4f}  R {result['recall']:.4f}  F1 {result['f1']:.4f}  "
             f"speaker accuracy {result['speaker_accuracy']:.4f}  direct/indirect {result['direct_accuracy']:.4f}"]
    lines += [f"  missed: {m['article']} {m['speaker']}: {m['text']!r}" for m in result["missed"][:20]]
    lines += [f"  extra:  {m['article']} {m['speaker']}: {m['text']!r}" for m in result["spurious"][:20]]
    _emit(result, as_json, "\n".join(lines))


@eval_group.command(name="numbers")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@db_option()
@articles_option
@json_option
def eval_numbers(gold, db_path, article_paths, as_json):
    """Reported-number P/R/F1 against GOLD.jsonl (same article, same value, same counted thing).

    Each line: {"article", "text", "value", "counts"}.
    """
    from .numbers import find_numbers, score_numbers

    result = _score_gold(gold, db_path, article_paths, ("article", "text", "value", "counts"), find_numbers, score_numbers)
    lines = [f"{result['gold']} gold quantities, {result['predicted']} found, {result['matched']} matched",
             f"P {result['precision']:.4f}  R {result['recall']:.4f}  F1 {result['f1']:.4f}"]
    lines += [f"  missed: {m['article']} {m['text']!r}" for m in result["missed"][:20]]
    lines += [f"  extra:  {m['article']} {m['text']!r}" for m in result["spurious"][:20]]
    _emit(result, as_json, "\n".join(lines))


@cli.command(name="summarize")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--sentences", type=click.IntRange(1, 30), default=5, show_default=True, help="Summary length in sentences.")
@json_option
def summarize_cmd(paths, sentences, as_json):
    """Print the cited extractive summary of the article files given (one file: a single-document summary).

    Files are read as `rasd ingest` reads them (txt, HTML, JSON, JSONL, feeds); nothing is stored.
    """
    from .article import Rejection
    from .ingest import read_paths
    from .summarize import SummarizeError, summarize

    articles, rejected = [], []
    for item in read_paths(paths):
        (rejected if isinstance(item, Rejection) else articles).append(item)
    for rejection in rejected:
        click.echo(f"  rejected {rejection}", err=True)
    if not articles:
        raise click.ClickException("no article could be read from the files given; see the rejections above")
    records = [{"id": a.id, "title": a.title, "text": a.text, "source": a.source, "published": a.published}
               for a in articles]
    try:
        result = summarize(records, sentences=sentences)
    except SummarizeError as err:
        raise click.ClickException(str(err)) from None
    lines = [result["headline"], ""]
    lines += [f"{n}. {s['text']} [{', '.join(s['article_ids'])}]" for n, s in enumerate(result["sentences"], 1)]
    _emit(result, as_json, "\n".join(lines))


@eval_group.command(name="summaries")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--sentences", type=click.IntRange(1, 30), default=None,
              help="Every system gives N sentences (default: a word budget, the mean human extract length).")
@click.option("--stem", is_flag=True, help="Snowball-stem the words ROUGE compares (default: folded words).")
@json_option
def eval_summaries(directory, sentences, stem, as_json):
    """ROUGE-1/2/L of rasd, LEAD and TextRank on an EASC-shaped DIRECTORY (TopicN/Articles, TopicN/MTurk).

    Each summary is scored against every human extract and the scores are averaged, then averaged over articles.
    """
    from .rouge import evaluate_summaries, load_easc

    try:
        articles = load_easc(directory)
    except InputError as err:
        raise click.ClickException(str(err)) from None
    result = evaluate_summaries(articles, sentences=sentences, stem=stem)
    rows = [f"{result['articles']} articles, {result['topics']} topics; length: {result['length']}; "
            f"references: {result['references']}; tokens: {result['tokens']}",
            f"{'system':<9} " + "  ".join(f"{k:>20}" for k in ("ROUGE-1 P/R/F1", "ROUGE-2 P/R/F1", "ROUGE-L P/R/F1"))]
    for name, scores in result["systems"].items():
        rows.append(f"{name:<9} " + "  ".join(
            f"{s['precision']:.4f}/{s['recall']:.4f}/{s['f1']:.4f}" for s in scores.values()))
    _emit(result, as_json, "\n".join(rows))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
