"""Units, errors and the typed-model base shared by every layer."""
