-- migration 012: comments only. view_versions also lists each check's headline and flagged-runs
-- views (sql/checks/<name>/headline.sql, flagged.sql; not versioned), and the defaults of
-- check_params now come from the params.toml files of sql/, merged in by every install of the views.

comment on table view_versions is 'One row per installed view version (sql/checks/<name>/v<N>.sql, sql/views/<name>/v<N>.sql) and per check headline and flagged-runs view (sql/checks/<name>/headline.sql, flagged.sql): what it answers, what it reads (parsed with sqlglot), the hash of its SQL.';
comment on column view_versions.name is 'Stable name that points at the newest version, e.g. check_best_epoch or run_summary; for a headline or flagged view its own name, e.g. check_best_epoch_headline.';
comment on column view_versions.version is 'Version number N of the file v<N>.sql; NULL for a headline or flagged view, which is not versioned (it reads the check''s current view).';
comment on column view_versions.kind is 'check (a finding of SPEC section 5, sql/checks/), helper (a building block for checks and reports, sql/views/), headline (the line nares check prints, check_<name>_headline) or flagged (the runs a check flags, check_<name>_flagged).';
comment on table check_params is 'Thresholds the check views read at query time (through the view params), one row per parameter; defaults from the params.toml of the check or helper folder, added by every install of the views; change value with UPDATE in the duckdb shell, installs and ingests keep it.';
comment on column check_params.check_name is 'Checks (and helper views) that read the parameter (read_by in its params.toml).';
comment on column check_params.default_value is 'Default the parameter was added with (value in its params.toml); reset with update check_params set value = default_value.';
