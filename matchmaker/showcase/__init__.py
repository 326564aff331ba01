"""The public showcase (展示): pages anyone may read without an account, and the contact
requests visitors send from them to the broker on duty.

What the public sees is built from explicit allow-lists (public.py): a page never receives an
ORM row of a listing, so a new private column cannot appear on it by default.
"""
from flask import Blueprint

bp = Blueprint("showcase", __name__, url_prefix="/showcase")
