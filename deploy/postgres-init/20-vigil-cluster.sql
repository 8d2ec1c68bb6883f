-- Run once by the postgres image when it creates the database: the
-- database of the compose profile "cluster" (its store writes there, beside
-- the single node's database vigil), readable by Grafana's vigil_reader.
CREATE DATABASE vigil_cluster OWNER vigil;
GRANT CONNECT ON DATABASE vigil_cluster TO vigil_reader;
\connect vigil_cluster
GRANT USAGE ON SCHEMA public TO vigil_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE vigil IN SCHEMA public
  GRANT SELECT ON TABLES TO vigil_reader;
