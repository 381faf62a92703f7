-- query: load/code_samples
-- question: Which lines does each code version keep once its first log by path is another than
--   the one it kept, or was read again? Those of temp table _samples (fingerprint, sample_path,
--   sample_lines: one row per such version, with its first log's lines).

update code_versions
set
    sample_path = s.sample_path,
    sample_lines = s.sample_lines
from _samples as s
where code_versions.fingerprint = s.fingerprint
