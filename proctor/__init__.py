"""Proctoring: event capture and log, the live room view, incidents, forensics (to come)."""
