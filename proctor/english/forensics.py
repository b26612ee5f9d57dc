"""English for the forensics pages."""

EN: dict[str, str] = {
}
