"""One repository per table: they hold the SQL and no business rules."""
