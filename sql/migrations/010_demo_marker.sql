-- migration 010: roots record whether their sites file marks the logs as synthetic (the demo corpus
-- writes `[demo] synthetic = true`), so that reports and checks can say so; ingests.loaded counts only
-- the files that loaded.

alter table roots add column synthetic boolean;
comment on column roots.synthetic is 'True when the sites file of the root says its logs are synthetic (`[demo] synthetic = true`, written by `cli.py demo`): reports and checks of files under it say the warehouse holds demo data; false otherwise; NULL when recorded before schema version 10 (the next ingest that writes records it).';
comment on column ingests.loaded is 'Files parsed by this ingest that now hold rows (status ok or partial); files it read that ended skipped or error are counted in skipped and errors, not here.';
