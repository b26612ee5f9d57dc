"""The exam itself: sessions and rosters, form assembly, delivery, grading and results."""
