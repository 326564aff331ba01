"""matchmaker: a technology-transfer matchmaking platform.

The web application is built by create_app (matchmaker.app); importing the package itself stays
free of Flask so that the matcher engine (matchmaker.matching) can be used as a plain library.
"""


def create_app(config=None):
    """Create the Flask application (see matchmaker.app.create_app)."""
    from matchmaker.app import create_app as build

    return build(config)
