"""`storenet recall ...`: recall campaigns from the command line (storenet.recall).

`create` acts as the user named by `--as` (or STORENET_OPERATOR), checked against the
policy (recall.write) and audited under that name; the campaign's name is its key, so
running the same command again answers the same campaign, and finishes its hold if
an earlier run was cut short (the hold moves nothing already held). The campaign id is
printed alone on the last line, for scripts. `show` needs no operator, as `po show`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from storenet.cli_errors import fail
from storenet.errors import Problem, Refused, StorenetError

recall_app = typer.Typer(
    help="Recall campaigns: scope, hold in quarantine, follow every unit to its buyer.",
    no_args_is_help=True,
)

AS = typer.Option(
    None,
    "--as",
    envvar="STORENET_OPERATOR",
    help="The user you act as (role checked, audited under this name; STORENET_OPERATOR)",
)


def register(app: typer.Typer) -> None:
    """Add the `recall` command group to `app`."""
    app.add_typer(recall_app, name="recall")


def _serials_from(path: Path) -> Iterator[str]:
    """The file's lines, one serial each, read as they are needed (never whole).
    Refused naming the file and line for text that is not UTF-8."""
    with path.open("rb") as handle:
        for n, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise Refused(
                    [Problem("serials-file", "is not UTF-8 text", f"{path.name} line {n}")]
                ) from None


def _scope(skus: str | None, model: str | None, serials_file: Path | None) -> list[dict]:
    given = [x for x in (skus, model, serials_file) if x is not None]
    if len(given) != 1:
        raise Refused([Problem("scope", "give exactly one of --skus, --model and --serials-file")])
    if serials_file is not None and not serials_file.is_file():
        raise Refused([Problem("serials-file", "is not a readable file", value=str(serials_file))])
    if skus is not None:
        named = [s.strip() for s in skus.split(",") if s.strip()]
        if not named:
            raise Refused([Problem("skus", "names no SKU", value=skus)])
        return [{"kind": "sku", "value": s} for s in named]
    if model is not None:
        return [{"kind": "model", "value": model}]
    return []


@recall_app.command("create")
def create(
    name: str = typer.Option(
        ..., help="The campaign's name (its key: the same name again is the same campaign)"
    ),  # fmt: skip
    skus: str = typer.Option(None, help="SKUs recalled, comma separated: A,B"),
    model: str = typer.Option(None, help="The product model recalled (all its SKUs)"),
    serials_file: Path = typer.Option(None, help="A file of serials, one per line"),
    reason: str = typer.Option(..., help="Why the units are recalled"),
    remedy: str = typer.Option(..., help="repair, replace or refund"),
    stop_sale: bool = typer.Option(
        False, "--stop-sale", help="Hold every unit in quarantine; default: advisory"
    ),
    deadline: str = typer.Option(None, help="Day by which every unit is held (YYYY-MM-DD)"),
    owner: str = typer.Option(None, help="Who answers for the campaign (default: you)"),
    operator: str = AS,
) -> None:
    """Create a recall campaign (recall.write) and hold its units; prints its id last."""
    from storenet.accounts.operator import run_as
    from storenet.cli import _engine, _progress, err, out
    from storenet.recall import actions
    from storenet.recall.hold import hold_campaign
    from storenet.settings import Settings

    try:
        scope = _scope(skus, model, serials_file)
        day = _day(deadline)
        engine = _engine(Settings.from_env())
        made = run_as(
            engine,
            operator,
            "recall.write",
            "cli recall create",
            lambda conn, who: actions.create(
                conn,
                who,
                key=_key(name, reason, remedy, stop_sale, scope, serials_file),
                name=name,
                reason=reason,
                severity="stop_sale" if stop_sale else "advisory",
                remedy=remedy,
                scope=scope,
                serial_list=_serials_from(serials_file) if serials_file else None,
                serial_list_label=serials_file.name if serials_file else "serial list",
                owner=owner,
                deadline=day,
            ),
        )
        with _progress() as report:
            held = hold_campaign(engine, made["id"], lambda d, t: report("holding", d, t))
    except StorenetError as error:
        fail(error)
    state = "created" if made.get("created") else "exists already (same name)"
    err.print(
        f"campaign {state}; held now: {held['serials']:,} unit(s) by serial and "
        f"{held['units']:,} by quantity at {held['locations']:,} location(s)",
        highlight=False,
    )
    out.print(made["id"], highlight=False)


def _key(name: str, *given: object) -> str:
    """The create's idempotency key: the name (the campaign's own key) and what was
    asked, so the same command again replays, and the same name with other options
    answers the campaign of that name instead of being refused as a different payload."""
    digest = hashlib.sha256(json.dumps(given, default=str).encode()).hexdigest()[:16]
    return f"cli-recall:{name}:{digest}"


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused([Problem("deadline", "must be a date YYYY-MM-DD", value=text)]) from None


@recall_app.command("show")
def show(
    campaign_id: str = typer.Argument(..., help="Campaign id (RC-...)"),
    as_json: bool = typer.Option(False, "--json", help="Print the campaign and funnel as JSON"),
) -> None:
    """One campaign: scope, status history and the funnel (where its units are now)."""
    from storenet.cli import _engine, out
    from storenet.recall.campaigns import get_campaign
    from storenet.recall.funnel import BUCKETS, funnel
    from storenet.settings import Settings
    from storenet.store.engine import reading

    try:
        with reading(_engine(Settings.from_env())) as conn:
            doc = get_campaign(conn, campaign_id)
            figures = funnel(conn, campaign_id)
    except StorenetError as error:
        fail(error)
    if as_json:
        print(json.dumps({**doc, **figures}, default=str, indent=2))
        return
    out.print(
        f"{doc['id']} {doc['name']!r} ({doc['status']}, {doc['severity']}, remedy "
        f"{doc['remedy']}), owner {doc['owner']}",
        highlight=False,
    )
    for row in doc["scope"]:
        upper = f"..{row['value_to']}" if row["value_to"] else ""
        out.print(f"  scope {row['kind']} {row['value']}{upper}: {row['units']:,} unit(s)")
    table = Table("bucket", "units", title="Where the affected units are now")
    table.add_row("affected", f"{figures['affected']:,}")
    for bucket in BUCKETS:
        table.add_row(bucket.replace("_", " "), f"{figures[bucket]:,}")
    out.print(table)
    for t in doc["transitions"]:
        why = f" ({t['reason']})" if t["reason"] else ""
        out.print(
            f"{t['at']:%Y-%m-%d %H:%M} {t['from_status'] or '-'} -> {t['to_status']} "
            f"by {t['by']}{why}",
            highlight=False,
        )


@recall_app.command("notify")
def notify(
    campaign_id: str = typer.Argument(..., help="Campaign id (RC-...)"),
    retry: bool = typer.Option(
        False, "--retry", help="One more attempt for buyers contacted who have not responded"
    ),
    webhook: str = typer.Option(None, help="POST each message here (default: a file sink)"),
    file: Path = typer.Option(
        None, help="The file sink's JSON Lines file (default: STORENET_HOME/outbox/recalls.jsonl)"
    ),
    operator: str = AS,
) -> None:
    """Queue a message for every buyer to reach (recall.write), then deliver the
    pending ones, each exactly once per attempt (docs/recalls.md)."""
    from storenet.accounts.operator import run_as
    from storenet.cli import _engine, _progress, out
    from storenet.recall.outbox import deliver_pending, queue_notifications
    from storenet.recall.sinks import FileSink, WebhookSink
    from storenet.settings import Settings

    settings = Settings.from_env()
    sink = (
        WebhookSink(webhook)
        if webhook
        else FileSink(file or settings.home / "outbox" / "recalls.jsonl")
    )
    try:
        engine = _engine(settings)
        queued = run_as(
            engine,
            operator,
            "recall.write",
            "cli recall notify",
            lambda conn, who: queue_notifications(conn, campaign_id, who.username, retry),
        )
        with _progress() as report:
            done = deliver_pending(engine, sink, progress=lambda d, t: report("delivering", d, t))
    except StorenetError as error:
        fail(error)
    out.print(
        f"queued {queued:,}; delivered {done['sent']:,}; failed {done['failed']:,} "
        "(kept for the next run)",
        highlight=False,
    )
