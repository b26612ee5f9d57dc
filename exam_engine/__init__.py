"""exam-engine: computer-based testing and IT-skill certification for Vietnamese education."""

from exam_engine.app import create_app

__all__ = ["create_app"]
