"""Server-rendered pages. The overview shows aggregate figures only (no customer text), so it needs
no key; pages with verbatims sit behind sign-in."""

from flask import Blueprint, render_template

from api import get_store
from voc import __version__

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def overview():
    store = get_store()
    counts = store.counts()
    by_kind = list(store.db.query("select kind, count(*) as n, sum(status = 'analysed') as analysed "
                                  "from documents group by kind order by n desc"))
    batches = list(store.db.query("select source, started_at, ingested, duplicates, rejected from batches "
                                  "order by started_at desc limit 5"))
    return render_template("overview.html", counts=counts, by_kind=by_kind, batches=batches,
                           pending=store.count_pending(), version=__version__)
