"""Themes (product teams): list, theme page, semantic search. (Being written.)"""
from flask import render_template
from api.web import READERS, bp, page


@bp.get("/themes")
@page(*READERS)
def themes():
    return render_template("error.html", status=501, message="not built yet"), 501


@bp.get("/themes/<theme_id>")
@page(*READERS)
def theme(theme_id: str):
    return render_template("error.html", status=501, message="not built yet"), 501


@bp.get("/search")
@page(*READERS)
def search():
    return render_template("error.html", status=501, message="not built yet"), 501
