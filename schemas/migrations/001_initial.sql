-- vigil SQLite schema, version 1: the tables. Times are Unix epoch
-- milliseconds. The store applies schemas/migrations/*.sql in order to bring a
-- database to the latest version; the build embeds them into
-- actors/sink/store.cpp (generated sqlite_migrations.hpp). Never edit a
-- released migration: add the next one.

CREATE TABLE IF NOT EXISTS service_metrics (
  service TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  request_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  error_rate REAL NOT NULL,
  avg_latency_ms REAL NOT NULL,
  p50_latency_ms REAL NOT NULL,
  p95_latency_ms REAL NOT NULL,
  p99_latency_ms REAL NOT NULL,
  max_latency_ms REAL NOT NULL,
  late_count INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (service, window_start)
);

CREATE TABLE IF NOT EXISTS anomalies (
  service TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  metric TEXT NOT NULL,
  observed REAL NOT NULL,
  expected REAL NOT NULL,
  score REAL NOT NULL,
  severity TEXT NOT NULL,
  detector TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  PRIMARY KEY (service, window_start, metric)
);

CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  severity TEXT NOT NULL,
  anomaly_count INTEGER NOT NULL,
  summary TEXT
);

CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  merger_state BLOB,
  detector_state BLOB,
  narrator_state BLOB
);

CREATE TABLE IF NOT EXISTS checkpoint_offsets (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  checkpoint INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
);

CREATE INDEX IF NOT EXISTS service_metrics_by_time
  ON service_metrics (window_start);

CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (window_start);

CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents (started_at);
