-- migration 014: code_versions.sample_path, the log whose lines sample_lines holds. The lines were
-- those of the first log of a version an ingest loaded, so an incremental ingest could keep lines
-- an ingest from scratch would not (of a log since changed, removed, or after a log of a smaller
-- path). Rows written before have none until an ingest whose roots hold the version's first log,
-- which reads that log again for its lines.

alter table code_versions add column sample_path varchar;
comment on column code_versions.sample_path is 'Path of the log whose lines sample_lines holds: the first by path of this version''s logs (files.path), whichever ingest loaded them, so incremental ingests and one from scratch keep the same lines. NULL in a row written before this column, until an ingest whose roots hold the first log.';
comment on column code_versions.sample_lines is 'One line of each checked kind from the first log by path of this version (sample_path; messages without timestamps): what the commits'' line templates are matched against.';
