-- migration 003: the registry of installed views and the parameters the checks read.
-- view_versions is rewritten by warehouse/views.py whenever the views are installed (every ingest
-- whose sql/ changed, and after a migration); check_params is written here once with its defaults
-- and then belongs to the user: an ingest never resets a value changed with
--     update check_params set value = 0.5 where name = 'best_epoch.early_fraction';

create table view_versions (
    name varchar,
    version integer,
    view_name varchar,
    kind varchar,
    is_current boolean,
    path varchar,
    sha256 varchar,
    description varchar,
    changes varchar,
    grain varchar,
    reads varchar[],
    columns varchar[],
    installed_at timestamp
);
comment on table view_versions is 'One row per installed view version (sql/checks/<name>/v<N>.sql, sql/views/<name>/v<N>.sql): what it answers, what it reads (parsed with sqlglot), the hash of its SQL.';
comment on column view_versions.name is 'Stable name that points at the newest version, e.g. check_best_epoch or run_summary.';
comment on column view_versions.version is 'Version number N of the file v<N>.sql.';
comment on column view_versions.view_name is 'The installed view of this version, <name>_v<N>: kept when newer versions appear, so saved queries keep working.';
comment on column view_versions.kind is 'check (a finding of SPEC section 5, sql/checks/) or helper (a building block for checks and reports, sql/views/).';
comment on column view_versions.is_current is 'True for the newest version, the one <name> selects from.';
comment on column view_versions.path is 'The SQL file, relative to the project (e.g. sql/checks/best_epoch/v2.sql).';
comment on column view_versions.sha256 is 'SHA-256 of the SQL file as installed.';
comment on column view_versions.description is 'The question the view answers (its header).';
comment on column view_versions.changes is 'What changed from the previous version (the parenthesis of the header''s version line).';
comment on column view_versions.grain is 'What one row is (header grain line), e.g. one row per training run.';
comment on column view_versions.reads is 'Tables and views the SQL reads, extracted from its sqlglot parse tree (CTE names excluded).';
comment on column view_versions.columns is 'Output columns in order, as the header documents them (checked against the view by the tests).';
comment on column view_versions.installed_at is 'When this version''s current SQL was first installed (UTC); unchanged by reinstalls of the same SQL.';

create table check_params (
    name varchar,
    check_name varchar,
    value double,
    default_value double,
    unit varchar,
    description varchar
);
comment on table check_params is 'Thresholds the check views read at query time, one row per parameter; change value with UPDATE in the duckdb shell, ingests keep it.';
comment on column check_params.name is 'Parameter name, <check or concept>.<what>, e.g. best_epoch.early_fraction.';
comment on column check_params.check_name is 'Checks (and helper views) that read the parameter.';
comment on column check_params.value is 'Value in force: the views read this.';
comment on column check_params.default_value is 'Value the warehouse was created with (reset with update check_params set value = default_value).';
comment on column check_params.unit is 'Unit of the value.';
comment on column check_params.description is 'What the parameter decides.';

insert into check_params values
    ('best_epoch.early_fraction', 'best_epoch', 0.75, 0.75, 'fraction of epochs_planned',
        'A run''s best epoch is early when it lies before early_fraction x epochs_planned: the first lr decay of the benchmark''s schedule (epoch 75 of 100).'),
    ('best_epoch.use_observed_decay', 'best_epoch', 0, 0, 'flag (0 or 1)',
        '1: take the first lr decay from the run''s own step lines (epochs.lr drops) when it shows one, instead of early_fraction x epochs_planned.'),
    ('robust_overfitting.min_gap', 'robust_overfitting', 3.0, 3.0, 'CW-40 accuracy points',
        'A run overfits when its best CW-40 validation accuracy exceeds its final one by at least this much.'),
    ('low_arch.window', 'vertical_lines, gpu_accuracy', 25, 25, 'architectures on each side',
        'Neighbours of an architecture: this many archs with a finished run on each side, in arch_id order.'),
    ('low_arch.min_drop', 'vertical_lines, gpu_accuracy', 5.0, 5.0, 'CW-40 accuracy points',
        'A finished run is low when its best CW-40 validation accuracy is at least this far below the median of its neighbours.'),
    ('vertical_lines.max_gap', 'vertical_lines', 2, 2, 'architectures',
        'Archs that are not low allowed between two low archs of the same band.'),
    ('vertical_lines.min_low', 'vertical_lines', 3, 3, 'architectures',
        'Low archs a band needs to be reported.'),
    ('gpu_accuracy.max_low_share', 'gpu_accuracy', 0.2, 0.2, 'fraction of runs',
        'A site and GPU is flagged when more than this share of its finished runs is low.'),
    ('gpu_accuracy.min_runs', 'gpu_accuracy', 3, 3, 'runs',
        'Finished runs a site and GPU needs before it can be flagged.'),
    ('duplicate_paired.bootstrap_samples', 'duplicate_paired', 1000, 1000, 'resamples',
        'Bootstrap resamples of the paired deltas for the interval of the mean delta.'),
    ('duplicate_paired.confidence', 'duplicate_paired', 0.95, 0.95, 'probability',
        'Confidence of the bootstrap interval; a sign test p-value below 1 - confidence is significant.'),
    ('duplicate_paired.seed', 'duplicate_paired', 0, 0, 'integer',
        'Seed of the bootstrap resampling (the same seed gives the same interval).');
