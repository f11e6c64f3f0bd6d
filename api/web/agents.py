"""Agents (contact center). (Being written.)"""
from flask import render_template
from api.web import READERS, bp, page


@bp.get("/agents")
@page(*READERS)
def agents():
    return render_template("error.html", status=501, message="not built yet"), 501
