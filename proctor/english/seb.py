"""English for the seb pages."""

EN: dict[str, str] = {
}
