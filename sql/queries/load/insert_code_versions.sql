-- query: load/insert_code_versions
-- question: Which code versions of the batch (temp table _code) are new? One row per fingerprint
--   the warehouse does not hold yet, with the format of its first log by path; load/code_samples
--   and the step 70_code fill in the rest.

insert into code_versions by name
select distinct on (fingerprint)
    fingerprint,
    kind,
    argument_names,
    format_markers,
    sample_lines,
    sample_path
from _code
where fingerprint not in (select fingerprint from code_versions)
order by fingerprint, sample_path
