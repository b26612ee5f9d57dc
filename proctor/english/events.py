"""English for the events pages."""

EN: dict[str, str] = {
}
