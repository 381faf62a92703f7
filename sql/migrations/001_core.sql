-- migration 001: the core warehouse: files seen, runs, epochs, evaluations, dimensions.
-- Applied by warehouse/migrate.py inside one transaction, recorded in `migrations`.

create table meta (
    key varchar,
    value varchar
);
comment on table meta is 'Facts about this warehouse file: schema_version, the tool version that last wrote it, the sites file in use.';
comment on column meta.key is 'Name of the fact, e.g. schema_version.';
comment on column meta.value is 'Its value, as text.';

create table migrations (
    version integer,
    name varchar,
    applied_at timestamp
);
comment on table migrations is 'One row per schema migration applied to this file, in order (warehouse/migrations/NNN_name.sql).';
comment on column migrations.version is 'Schema version the migration brings the file to.';
comment on column migrations.name is 'File name of the migration.';
comment on column migrations.applied_at is 'When it was applied (UTC).';

create table ingests (
    ingest_id integer,
    started_at timestamp,
    finished_at timestamp,
    roots varchar[],
    files_seen integer,
    loaded integer,
    unchanged integer,
    partial integer,
    skipped integer,
    errors integer,
    removed integer,
    runs integer,
    epochs bigint,
    evals integer,
    seconds double
);
comment on table ingests is 'One row per `cli.py ingest` that changed this file: what it read and what it found.';
comment on column ingests.ingest_id is 'Sequence number of the ingest (1, 2, ...).';
comment on column ingests.started_at is 'When the ingest started (UTC).';
comment on column ingests.finished_at is 'When it committed (UTC).';
comment on column ingests.roots is 'Folders and files given on the command line, as absolute paths.';
comment on column ingests.files_seen is 'Files found under the roots (all kinds).';
comment on column ingests.loaded is 'Files parsed and loaded by this ingest (new or changed).';
comment on column ingests.unchanged is 'Files skipped because size, mtime or content hash were unchanged.';
comment on column ingests.partial is 'Files now with status partial (unfinished runs or evaluations).';
comment on column ingests.skipped is 'Files now with status skipped (unrelated names, duplicates).';
comment on column ingests.errors is 'Files now with status error (empty, binary, garbled, unknown format).';
comment on column ingests.removed is 'Files that disappeared from the roots; their rows were removed.';
comment on column ingests.runs is 'Rows in runs after the ingest.';
comment on column ingests.epochs is 'Rows in epochs after the ingest.';
comment on column ingests.evals is 'Rows in evals after the ingest.';
comment on column ingests.seconds is 'Wall time of the ingest in seconds.';

create table files (
    file_id bigint,
    path varchar,
    root varchar,
    rel_path varchar,
    name varchar,
    kind varchar,
    arch_id integer,
    size bigint,
    mtime_ns bigint,
    sha256 varchar,
    status varchar,
    message varchar,
    line_no integer,
    duplicate_of varchar,
    ingest_id integer,
    ingested_at timestamp
);
comment on table files is 'Every file seen under an ingested folder, one row per path: what it is, whether it loaded, and why not.';
comment on column files.file_id is 'Stable id of the path (hash of path); run_id / eval_id of the run or evaluation it holds.';
comment on column files.path is 'Absolute path of the file.';
comment on column files.root is 'The ingested folder the file was found under.';
comment on column files.rel_path is 'Path relative to root.';
comment on column files.name is 'File name.';
comment on column files.kind is 'train, eval (Base/AutoAttack), corruption, config (arch_<id>.yaml) or other (not a benchmark file name).';
comment on column files.arch_id is 'Architecture id from the file name (zero padding removed); NULL for other files.';
comment on column files.size is 'Size in bytes when ingested.';
comment on column files.mtime_ns is 'Modification time (ns since the epoch) when ingested; with size, decides whether the file is read again.';
comment on column files.sha256 is 'SHA-256 of the content (NULL for files that were not read, e.g. other kinds).';
comment on column files.status is 'ok, partial (unfinished run or evaluation: loaded), skipped (not a log, or a byte-identical duplicate) or error (unreadable: not loaded).';
comment on column files.message is 'One line saying what the file held or why it was skipped or failed.';
comment on column files.line_no is 'Line the error refers to, when there is one.';
comment on column files.duplicate_of is 'For a byte-identical copy of another log: the path loaded instead (the copy added to git first, else the smallest path).';
comment on column files.ingest_id is 'Ingest that last read this file.';
comment on column files.ingested_at is 'When this file was last read (UTC).';

create table runs (
    run_id bigint,
    file_id bigint,
    arch_id integer,
    site varchar,
    gpu varchar,
    gpu_list varchar[],
    seed integer,
    source_path varchar,
    exp_name varchar,
    config_path varchar,
    started_at timestamp,
    finished_at timestamp,
    last_logged_at timestamp,
    running_cost_days double,
    epochs_planned integer,
    epochs_logged integer,
    epochs_completed integer,
    last_epoch integer,
    best_epoch integer,
    best_cw40_acc double,
    best_pgd20_acc double,
    best_val_acc double,
    final_cw40_acc double,
    finished boolean,
    resumed boolean,
    n_segments integer,
    resume_epochs integer[],
    has_nan boolean,
    lr_milestones integer[],
    d1 integer,
    w1 integer,
    d2 integer,
    w2 integer,
    d3 integer,
    w3 integer,
    params_mb double,
    macs_m double,
    pytorch_version varchar
);
comment on table runs is 'One row per training log (arch_<id>.log): one adversarial training run of one architecture at one site.';
comment on column runs.run_id is 'Id of the run (= files.file_id of its log).';
comment on column runs.file_id is 'The training log (files.file_id).';
comment on column runs.arch_id is 'Architecture id 1..15625 (ascending MACs), from the file name.';
comment on column runs.site is 'Site that trained the run: from the git author who added the log, else the sites file path globs, else unknown.';
comment on column runs.gpu is 'Primary GPU: first entry of the GPU List the log printed; NULL for a CPU run.';
comment on column runs.gpu_list is 'All GPUs of the GPU List line of the first header (NULL on CPU).';
comment on column runs.seed is 'Training seed (the seed argument line).';
comment on column runs.source_path is 'Absolute path of the training log.';
comment on column runs.exp_name is 'exp_name argument (the run''s output folder).';
comment on column runs.config_path is 'config_path argument (e.g. ./configs/nasbench/small).';
comment on column runs.started_at is 'Timestamp of the first record of the log.';
comment on column runs.finished_at is 'Timestamp of the Running Cost line; NULL for an unfinished run.';
comment on column runs.last_logged_at is 'Timestamp of the last record of the log.';
comment on column runs.running_cost_days is 'Training time in days as the Running Cost line says.';
comment on column runs.epochs_planned is 'Epochs the config asks for (the epochs: line, 100 in the benchmark).';
comment on column runs.epochs_logged is 'Distinct epochs with at least a Training Epoch marker.';
comment on column runs.epochs_completed is 'Distinct epochs with CW-40 validation results.';
comment on column runs.last_epoch is 'Highest epoch logged (0-based).';
comment on column runs.best_epoch is 'First epoch whose CW-40 validation accuracy equals the run''s maximum: the _best.pth checkpoint evaluations load.';
comment on column runs.best_cw40_acc is 'CW-40 validation accuracy (%) at best_epoch (the maximum).';
comment on column runs.best_pgd20_acc is 'PGD-20 validation accuracy (%) at best_epoch (not the PGD-20 maximum).';
comment on column runs.best_val_acc is 'Clean validation accuracy (%) at best_epoch.';
comment on column runs.final_cw40_acc is 'CW-40 validation accuracy (%) of the last epoch with results.';
comment on column runs.finished is 'True when the log ends with Running Cost.';
comment on column runs.resumed is 'True when the log holds more than one header (the run was restarted with --load_model).';
comment on column runs.n_segments is 'Number of headers in the log (1 + number of resumes).';
comment on column runs.resume_epochs is 'Starting Epoch of each resumed segment.';
comment on column runs.has_nan is 'True when any epoch metric in the log (a loss, an accuracy, a LIP or stable value, the lr) is NaN.';
comment on column runs.lr_milestones is 'Learning-rate milestones of the scheduler Config line (e.g. [75, 90, 100]).';
comment on column runs.d1 is 'Depth of stage 1 (depth_configs[0]).';
comment on column runs.w1 is 'Width multiplier of stage 1 (channel_configs[1] / 16).';
comment on column runs.d2 is 'Depth of stage 2 (depth_configs[1]).';
comment on column runs.w2 is 'Width multiplier of stage 2 (channel_configs[2] / 32).';
comment on column runs.d3 is 'Depth of stage 3 (depth_configs[2]).';
comment on column runs.w3 is 'Width multiplier of stage 3 (channel_configs[3] / 64).';
comment on column runs.params_mb is 'Parameters in millions, as the param size line prints (labelled MB).';
comment on column runs.macs_m is 'MACs in millions, as the flops line prints.';
comment on column runs.pytorch_version is 'PyTorch version the run used.';

create table epochs (
    run_id bigint,
    epoch integer,
    segment integer,
    started_at timestamp,
    lr double,
    train_loss double,
    train_acc double,
    val_loss double,
    val_acc double,
    pgd20_natural_acc double,
    pgd20_acc double,
    pgd20_loss double,
    pgd20_lip double,
    pgd20_stable double,
    cw40_natural_acc double,
    cw40_acc double,
    cw40_loss double,
    cw40_lip double,
    cw40_stable double
);
comment on table epochs is 'One row per run and epoch: training and validation metrics. A repeated epoch (resumed run) keeps its later record.';
comment on column epochs.run_id is 'The run (runs.run_id).';
comment on column epochs.epoch is 'Epoch number, 0-based.';
comment on column epochs.segment is 'Header segment of the log the record comes from (0; 1.. after resumes).';
comment on column epochs.started_at is 'Timestamp of the Training Epoch marker.';
comment on column epochs.lr is 'Learning rate on the epoch''s step lines.';
comment on column epochs.train_loss is 'Training loss: loss_avg of the epoch''s last step line.';
comment on column epochs.train_acc is 'Adversarial training accuracy (%): acc_avg of the last step line x 100.';
comment on column epochs.val_loss is 'Clean validation loss (Eval Loss).';
comment on column epochs.val_acc is 'Clean validation accuracy (%) (Eval acc).';
comment on column epochs.pgd20_natural_acc is 'Natural accuracy (%) printed in the PGD-20 block.';
comment on column epochs.pgd20_acc is 'PGD-20 validation accuracy (%).';
comment on column epochs.pgd20_loss is 'PGD-20 average loss.';
comment on column epochs.pgd20_lip is 'PGD-20 LIP average (local Lipschitz estimate).';
comment on column epochs.pgd20_stable is 'PGD-20 stable accuracy (%): predictions unchanged by the attack.';
comment on column epochs.cw40_natural_acc is 'Natural accuracy (%) printed in the PGD-CW block.';
comment on column epochs.cw40_acc is 'CW-40 (PGD with CW loss, 40 steps) validation accuracy (%): decides the best checkpoint.';
comment on column epochs.cw40_loss is 'CW-40 average loss.';
comment on column epochs.cw40_lip is 'CW-40 LIP average.';
comment on column epochs.cw40_stable is 'CW-40 stable accuracy (%).';

create table run_settings (
    run_id bigint,
    parameter varchar,
    value varchar,
    source varchar
);
comment on table run_settings is 'Every training setting a run''s first header records, one row per run and setting (long form, for config drift).';
comment on column run_settings.run_id is 'The run (runs.run_id).';
comment on column run_settings.parameter is 'Argument name (e.g. epsilon), <config>.<key> for Config lines (e.g. optimizer.lr), or an environment fact (pytorch_version, flops).';
comment on column run_settings.value is 'Value as the log prints it (Python repr for Config entries).';
comment on column run_settings.source is 'argument (a CLI argument line), config (a Config([...]) line) or environment.';

create table evals (
    eval_id bigint,
    file_id bigint,
    arch_id integer,
    run_id bigint,
    link_method varchar,
    link_note varchar,
    site varchar,
    gpu varchar,
    gpu_list varchar[],
    norm varchar,
    attack varchar,
    attack_choice varchar,
    aa_type varchar,
    epsilon double,
    step_size double,
    device varchar,
    seed integer,
    n_test integer,
    n_batches integer,
    clean_correct integer,
    clean_acc double,
    test_loss double,
    fgsm_acc double,
    fgsm_stable double,
    pgd20_acc double,
    pgd20_stable double,
    pgd20_lip double,
    cw40_acc double,
    cw40_stable double,
    cw40_lip double,
    aa_acc double,
    corruption_mean_acc double,
    ckpt_best_pgdcw_acc double,
    ckpt_best_pgd_acc double,
    ckpt_global_step bigint,
    ckpt_epochs integer,
    checkpoint_path varchar,
    d1 integer,
    w1 integer,
    d2 integer,
    w2 integer,
    d3 integer,
    w3 integer,
    params_mb double,
    macs_m double,
    pytorch_version varchar,
    started_at timestamp,
    finished_at timestamp,
    running_cost_days double,
    finished boolean,
    source_path varchar
);
comment on table evals is 'One row per evaluation log of a best checkpoint on the test set: Base (clean/FGSM/PGD-20/CW-40), AutoAttack, or corruptions.';
comment on column evals.eval_id is 'Id of the evaluation (= files.file_id of its log).';
comment on column evals.file_id is 'The evaluation log (files.file_id).';
comment on column evals.arch_id is 'Architecture id from the file name.';
comment on column evals.run_id is 'Training run the evaluated checkpoint came from (runs.run_id), NULL when that is unknown (see link_note).';
comment on column evals.link_method is 'How run_id was found: same_folder, best_cw40_match, only_run; NULL when unlinked.';
comment on column evals.link_note is 'Why the evaluation is unlinked, or what was ambiguous.';
comment on column evals.site is 'Site of the linked run; for an unlinked evaluation, the site of the git author who added the log.';
comment on column evals.gpu is 'Primary GPU of the evaluation (first of gpu_list); NULL on CPU.';
comment on column evals.gpu_list is 'GPU List line of the evaluation log.';
comment on column evals.norm is 'Linf or L2 (the norm argument); NULL for corruption evaluations.';
comment on column evals.attack is 'Base, AA (standard AutoAttack), AA-Compact, or cifar10c (corruptions).';
comment on column evals.attack_choice is 'attack_choice argument as logged.';
comment on column evals.aa_type is 'aa_type argument as logged (Standard, Compact).';
comment on column evals.epsilon is 'Attack radius (epsilon argument).';
comment on column evals.step_size is 'Attack step size (step_size argument).';
comment on column evals.device is 'device argument (cuda, cpu).';
comment on column evals.seed is 'seed argument.';
comment on column evals.n_test is 'Test images evaluated (denominator of the Natural Correct Count line).';
comment on column evals.n_batches is 'Progress lines (one per test batch) in a Base log.';
comment on column evals.clean_correct is 'Correctly classified clean test images.';
comment on column evals.clean_acc is 'Clean test accuracy (%); for AutoAttack, its initial accuracy on the attacked test subset.';
comment on column evals.test_loss is 'Clean test loss.';
comment on column evals.fgsm_acc is 'FGSM test accuracy (%) (Linf only).';
comment on column evals.fgsm_stable is 'FGSM stable accuracy (%).';
comment on column evals.pgd20_acc is 'PGD-20 test accuracy (%).';
comment on column evals.pgd20_stable is 'PGD-20 stable accuracy (%).';
comment on column evals.pgd20_lip is 'PGD-20 LIP.';
comment on column evals.cw40_acc is 'CW-40 test accuracy (%).';
comment on column evals.cw40_stable is 'CW-40 stable accuracy (%).';
comment on column evals.cw40_lip is 'CW-40 LIP.';
comment on column evals.aa_acc is 'AutoAttack robust accuracy (%) (the Linf-AA Acc / L2-AA Acc line).';
comment on column evals.corruption_mean_acc is 'Average Accuracy line of a corruption evaluation (%).';
comment on column evals.ckpt_best_pgdcw_acc is 'best_pgdcw_acc of the checkpoint dict: the training run''s best CW-40 validation accuracy; links the evaluation to its run.';
comment on column evals.ckpt_best_pgd_acc is 'best_pgd_acc of the checkpoint dict.';
comment on column evals.ckpt_global_step is 'global_step of the checkpoint dict.';
comment on column evals.ckpt_epochs is 'Epochs in the checkpoint''s pgdcw_eval_history.';
comment on column evals.checkpoint_path is 'Checkpoint file the evaluation loaded (File ... loaded!).';
comment on column evals.d1 is 'Depth of stage 1 from the model Config line.';
comment on column evals.w1 is 'Width multiplier of stage 1.';
comment on column evals.d2 is 'Depth of stage 2.';
comment on column evals.w2 is 'Width multiplier of stage 2.';
comment on column evals.d3 is 'Depth of stage 3.';
comment on column evals.w3 is 'Width multiplier of stage 3.';
comment on column evals.params_mb is 'Parameters in millions (param size line).';
comment on column evals.macs_m is 'MACs in millions (flops line).';
comment on column evals.pytorch_version is 'PyTorch version of the evaluation.';
comment on column evals.started_at is 'Timestamp of the first record.';
comment on column evals.finished_at is 'Timestamp of the Running Cost line.';
comment on column evals.running_cost_days is 'Running Cost in days.';
comment on column evals.finished is 'True when the result lines are present (Base: clean, FGSM for Linf, PGD-20, CW-40; AutoAttack: the AA line; corruptions: all 95 lines and the average).';
comment on column evals.source_path is 'Absolute path of the evaluation log.';

create table corruptions (
    eval_id bigint,
    corruption varchar,
    level integer,
    acc double,
    loss double
);
comment on table corruptions is 'One row per corruption evaluation, corruption and severity level (CIFAR-10-C, 19 corruptions x 5 levels).';
comment on column corruptions.eval_id is 'The corruption evaluation (evals.eval_id).';
comment on column corruptions.corruption is 'Corruption name, e.g. gaussian_noise.';
comment on column corruptions.level is 'Severity 1..5.';
comment on column corruptions.acc is 'Test accuracy (%) under the corruption.';
comment on column corruptions.loss is 'Test loss under the corruption.';

create table archs (
    arch_id integer,
    d1 integer,
    w1 integer,
    d2 integer,
    w2 integer,
    d3 integer,
    w3 integer,
    size_class varchar,
    params_mb double,
    macs_m double,
    n_runs integer,
    n_evals integer
);
comment on table archs is 'One row per architecture seen in any log: its decision vector [D1,W1,D2,W2,D3,W3] and size, as the logs print them.';
comment on column archs.arch_id is 'Architecture id 1..15625, in ascending order of MACs.';
comment on column archs.d1 is 'Depth of stage 1 (4, 5, 7, 9 or 11 in the search space).';
comment on column archs.w1 is 'Width multiplier of stage 1 (8..16 in the search space).';
comment on column archs.d2 is 'Depth of stage 2.';
comment on column archs.w2 is 'Width multiplier of stage 2.';
comment on column archs.d3 is 'Depth of stage 3.';
comment on column archs.w3 is 'Width multiplier of stage 3.';
comment on column archs.size_class is 'Size class of the training scripts: small (id < 5162), medium, large (id > 13071).';
comment on column archs.params_mb is 'Parameters in millions (most common value over its logs).';
comment on column archs.macs_m is 'MACs in millions (most common value over its logs).';
comment on column archs.n_runs is 'Training runs of this architecture in the warehouse.';
comment on column archs.n_evals is 'Evaluation logs of this architecture in the warehouse.';

create table gpus (
    gpu varchar,
    vendor varchar,
    n_runs integer,
    n_evals integer
);
comment on table gpus is 'One row per GPU model named in any GPU List line.';
comment on column gpus.gpu is 'GPU name as torch reports it, e.g. NVIDIA GeForce RTX 3090.';
comment on column gpus.vendor is 'First word of the name (NVIDIA, AMD, ...).';
comment on column gpus.n_runs is 'Runs whose primary GPU this is.';
comment on column gpus.n_evals is 'Evaluations whose primary GPU this is.';

create table sites (
    site varchar,
    authors varchar[],
    paths varchar[],
    source varchar
);
comment on table sites is 'The sites that trained models, from the sites file, plus unknown for files no author or path matches.';
comment on column sites.site is 'Site name, e.g. SUSTech, MSU, unknown.';
comment on column sites.authors is 'Git author names or emails that belong to the site (matched case-insensitively).';
comment on column sites.paths is 'Path globs (relative to the log repository) for files without git history.';
comment on column sites.source is 'The sites file the row came from.';
