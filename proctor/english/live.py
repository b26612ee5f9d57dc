"""English for the live pages."""

EN: dict[str, str] = {
}
