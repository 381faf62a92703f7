-- query: load/refresh_unchanged_files
-- question: Which files rows only get a new size and mtime? Those of files whose content hash was
--   unchanged (status unchanged in the batch's temp table _files): their data rows stay.

update files
set
    size = f.size,
    mtime_ns = f.mtime_ns
from _files as f
where files.path = f.path and f.status = 'unchanged'
