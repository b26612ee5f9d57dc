"""The bank's web layer: teacher and reviewer pages, the JSON API, the editor, imports."""
