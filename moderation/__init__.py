"""Comment moderation service: `flask --app moderation` finds :func:`create_app`.

The factory is imported lazily so that `import moderation.settings` (done by
the Celery workers) does not pull in Flask and the whole web app.
"""


def create_app(test_config=None):
    """Build the Flask app (see :func:`moderation.app.create_app`)."""
    from moderation.app import create_app as build_app

    return build_app(test_config)


__all__ = ["create_app"]
