"""Statistics and calibration from live exam data (reads the exam; the bank never imports it)."""
