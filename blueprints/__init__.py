"""One blueprint per area of the app a user would name."""
