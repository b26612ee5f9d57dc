"""The one entry point for gunicorn: ``gunicorn wsgi:app``."""

from exam_engine import create_app

app = create_app()
