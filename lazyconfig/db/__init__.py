"""Database models, column types, engine setup and schema migration."""
