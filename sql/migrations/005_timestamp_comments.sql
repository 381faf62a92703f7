-- migration 005: the timestamps say what a garbled one becomes.
-- A logged timestamp that is not a valid date and time (month 13, 30 February) is stored as NULL
-- instead of stopping the load; an epoch marker whose number does not fit epochs.epoch (INTEGER)
-- is not read as an epoch.

comment on column runs.started_at is 'Timestamp of the first record of the log; NULL when it is not a valid date and time.';
comment on column runs.finished_at is 'Timestamp of the Running Cost line; NULL for an unfinished run or a timestamp that is not a valid date and time.';
comment on column runs.last_logged_at is 'Timestamp of the last record of the log; NULL when it is not a valid date and time.';
comment on column epochs.epoch is 'Epoch number, 0-based (a Training Epoch marker with a number above 2147483647 is not read as an epoch).';
comment on column epochs.started_at is 'Timestamp of the Training Epoch marker; NULL when the marker has none or it is not a valid date and time.';
comment on column evals.started_at is 'Timestamp of the first record; NULL when it is not a valid date and time.';
comment on column evals.finished_at is 'Timestamp of the Running Cost line; NULL when absent or not a valid date and time.';
