"""Profile pages of institutions and enterprises: public, also without an account.

Anonymous visitors see what an organisation shows the world (name, region, type or tier,
description); features above orgs add their blocks to these pages (profiles: the titles of the
organisation's published outputs or open needs; see matchmaker.blocks). Broker pages live with
auth (brokers are users). No e-mail address, draft or withdrawn item is shown.
"""
from flask import Blueprint, render_template

from matchmaker.blocks import render_blocks
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution

bp = Blueprint("orgs", __name__)


@bp.route("/institutions/<int:org_id>")
def institution(org_id: int):
    org = db.get_or_404(Institution, org_id)
    return render_template("orgs/institution.html", org=org,
                           blocks=render_blocks("institution", org, org=org))


@bp.route("/enterprises/<int:org_id>")
def enterprise(org_id: int):
    org = db.get_or_404(Enterprise, org_id)
    return render_template("orgs/enterprise.html", org=org,
                           blocks=render_blocks("enterprise", org, org=org))
