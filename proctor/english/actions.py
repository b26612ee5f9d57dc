"""English for the actions pages."""

EN: dict[str, str] = {
}
