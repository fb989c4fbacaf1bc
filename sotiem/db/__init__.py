"""Database helpers below every app (no models, not an installed app): the bulk writer."""
