"""Promise gaps (marketing). (Being written.)"""
from flask import render_template
from api.web import READERS, bp, page


@bp.get("/promises")
@page(*READERS)
def promises():
    return render_template("error.html", status=501, message="not built yet"), 501
