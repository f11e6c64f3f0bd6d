"""Upload (contact center). (Being written.)"""
from flask import render_template
from api.web import bp, page


@bp.get("/upload")
@page("contact_center")
def upload():
    return render_template("error.html", status=501, message="not built yet"), 501
