-- query: code_windows/store_commits
-- question: Which commits of the code history match each code version, and which log file names
--   can each of them write? Stores the matches of warehouse/code_windows.py (temp table _windows)
--   in code_versions.commits and code_versions.commit_log_names.

update code_versions
set
    commits = w.commits,
    commit_log_names = w.commit_log_names
from _windows as w
where code_versions.fingerprint = w.fingerprint
