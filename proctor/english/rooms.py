"""English for the rooms pages."""

EN: dict[str, str] = {
}
