-- Run once by the postgres image when it creates the database: a read-only
-- role for Grafana's SQL panels (deploy/grafana), which never writes and
-- never holds locks vigil's writer waits for. Change its password in
-- production (ALTER ROLE vigil_reader PASSWORD '...') and in
-- deploy/grafana/provisioning/datasources/postgres.yml.
CREATE ROLE vigil_reader LOGIN PASSWORD 'vigil_reader';
GRANT CONNECT ON DATABASE vigil TO vigil_reader;
GRANT USAGE ON SCHEMA public TO vigil_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE vigil IN SCHEMA public
  GRANT SELECT ON TABLES TO vigil_reader;
