"""Department inboxes. (Being written.)"""
from flask import render_template
from api.web import READERS, bp, page


@bp.get("/inbox")
@bp.get("/inbox/<department>")
@page(*READERS, "department")
def inbox(department: str | None = None):
    return render_template("error.html", status=501, message="not built yet"), 501
