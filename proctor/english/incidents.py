"""English for the incidents pages."""

EN: dict[str, str] = {
}
