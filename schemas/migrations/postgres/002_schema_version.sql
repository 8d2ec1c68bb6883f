-- vigil PostgreSQL schema, version 2: the database records its schema
-- version (one row), as SQLite's version 2 does. A database of version 1 has
-- vigil's tables and no such table. A node migrates older databases forward
-- at start and refuses newer ones.

CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL
);
