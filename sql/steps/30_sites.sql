-- step: sites
-- does: Runs and evaluations take the site of the file they were read from.
-- files.site is decided from git authors and the sites file (ingest/sites.py); an evaluation whose
-- run is known takes the run's site after linking (40_link_evals.sql).
-- Only rows whose value changes are written (the other steps do the same): an updated row makes
-- its row group one the checkpoint writes again.

update runs
set site = coalesce(f.site, 'unknown')
from files as f
where runs.file_id = f.file_id and runs.site is distinct from coalesce(f.site, 'unknown');

update evals
set site = coalesce(f.site, 'unknown')
from files as f
where evals.file_id = f.file_id and evals.site is distinct from coalesce(f.site, 'unknown');
