-- vigil PostgreSQL schema, version 1: the tables. It mirrors the SQLite
-- schema (schemas/migrations/001_initial.sql) with TIMESTAMPTZ for times,
-- BIGINT for counts and BYTEA for checkpoint states. The store applies
-- schemas/migrations/postgres/*.sql in order; the build embeds them into
-- actors/sink/pg_store.cpp (generated postgres_migrations.hpp). Never edit a
-- released migration: add the next one, with the number SQLite's has.

CREATE TABLE IF NOT EXISTS service_metrics (
  service TEXT NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  window_end TIMESTAMPTZ NOT NULL,
  request_count BIGINT NOT NULL,
  error_count BIGINT NOT NULL,
  error_rate DOUBLE PRECISION NOT NULL,
  avg_latency_ms DOUBLE PRECISION NOT NULL,
  p50_latency_ms DOUBLE PRECISION NOT NULL,
  p95_latency_ms DOUBLE PRECISION NOT NULL,
  p99_latency_ms DOUBLE PRECISION NOT NULL,
  max_latency_ms DOUBLE PRECISION NOT NULL,
  late_count BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (service, window_start)
);

CREATE TABLE IF NOT EXISTS anomalies (
  service TEXT NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  metric TEXT NOT NULL,
  observed DOUBLE PRECISION NOT NULL,
  expected DOUBLE PRECISION NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  severity TEXT NOT NULL,
  detector TEXT NOT NULL,
  detected_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (service, window_start, metric)
);

CREATE TABLE IF NOT EXISTS incidents (
  id BIGINT PRIMARY KEY,
  service TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  severity TEXT NOT NULL,
  anomaly_count BIGINT NOT NULL,
  summary TEXT
);

CREATE TABLE IF NOT EXISTS checkpoints (
  id BIGINT PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL,
  merger_state BYTEA,
  detector_state BYTEA,
  narrator_state BYTEA
);

CREATE TABLE IF NOT EXISTS checkpoint_offsets (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset BIGINT NOT NULL,
  checkpoint BIGINT NOT NULL,
  PRIMARY KEY (topic, partition)
);

CREATE INDEX IF NOT EXISTS service_metrics_by_time
  ON service_metrics (window_start);

CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (window_start);

CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents (started_at);
