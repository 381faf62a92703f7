-- query: code_windows/store_commits
-- question: Which commits of the code history match each code version? Stores the matches of
--   warehouse/code_windows.py (temp table _windows) in code_versions.commits.

update code_versions
set commits = w.commits
from _windows as w
where code_versions.fingerprint = w.fingerprint
