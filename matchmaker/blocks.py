"""Blocks that higher features add to the pages of lower ones (indico's template hooks).

profiles sits below recommendations and the pipeline, and orgs below profiles, so their pages
never import the higher views.
Instead a higher feature registers a block when the app is created: a template and a function
that returns the template's context for one object, or None when the viewer sees nothing. A
page renders every block of its place, in registration order. A context function may record
what its viewer was shown through a service (an owner's matches become seen): the listing's
view commits once its page is drawn. Places:

- "listing": below a research output or technology need (context function: (item) -> dict);
- "listing-aside": in the side column of the same page;
- "listing-status": under the owner's status buttons of the same page;
- "match": inside one recommended match of a listing's match list ((recommendation) -> dict);
- "match-mark": beside the title of the same match card, for short marks ((recommendation) ->
  dict): drawn for every viewer on every view, never cached with the card;
- "institution", "enterprise": on an organisation's public page ((org) -> dict);
- "broker-profile": on a broker's own profile page, /brokers/me ((broker) -> dict);
- "showcase-home": on the public showcase's home page, /showcase ((None) -> dict);
- "broker-today": on a broker's or operator's today page, /deals/today ((viewer) -> dict);
- "listing-list-actions": beside the "new" button of the outputs' or needs' list
  (("outputs" or "needs") -> dict).
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g
from markupsafe import Markup

PLACES = ("listing", "listing-aside", "listing-status", "match", "match-mark", "institution",
          "enterprise", "broker-profile", "showcase-home", "broker-today",
          "listing-list-actions")


@dataclass(frozen=True)
class Block:
    name: str
    place: str
    template: str
    context: Callable[..., dict | None]


def register_block(app: Flask, name: str, place: str, template: str,
                   context: Callable[..., dict | None]) -> None:
    """Show template at place on app's pages, with the context that context(obj) returns.

    Registering a name again replaces the block (create_app may run more than once).
    """
    if place not in PLACES:
        raise ValueError(f"unknown block place {place!r}; known: {PLACES}")
    blocks = app.extensions.setdefault("page_blocks", {})
    blocks[name] = Block(name, place, template, context)


def _request_context() -> dict:
    """Return the context processors' variables, computed once per request.

    A page renders a block per match card (ten or more per page); running every context
    processor for each of them, as render_template does, cost more than the blocks
    themselves. Their values do not change within a request.
    """
    base = g.get("_block_template_context")
    if base is None:
        base = {}
        current_app.update_template_context(base)
        g._block_template_context = base
    return base


def render_blocks(place: str, obj, **page) -> Markup:
    """Render the blocks of place for obj (page: context every block template also gets)."""
    parts = []
    env = current_app.jinja_env
    for block in current_app.extensions.get("page_blocks", {}).values():
        if block.place != place:
            continue
        context = block.context(obj)
        if context is not None:
            template = env.get_template(block.template)
            parts.append(template.render({**_request_context(), **page, **context}))
    return Markup("\n").join(Markup(part) for part in parts)


def render_detail_blocks(item, **page) -> dict[str, Markup]:
    """Render what higher features show on a listing's page: {"main": …, "aside": …,
    "status": …}."""
    page = {"item": item, **page}
    return {"main": render_blocks("listing", item, **page),
            "aside": render_blocks("listing-aside", item, **page),
            "status": render_blocks("listing-status", item, **page)}
