-- view: run_summary
-- version: 1 (first version)
-- grain: one row per training run
-- reads: chosen_evals_v1, evals, lr_decays_v1, runs
-- question: What did each training run reach in validation, when did its learning rate drop, and
--   what did its best checkpoint score on the test set (Linf Base and AutoAttack evaluations)?
--   A run with several finished evaluations of one kind takes the one chosen_evals chooses (the
--   one that finished last).
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   gpu: primary GPU (NULL on CPU)
--   seed: training seed
--   started_at: first record of the log
--   finished_at: Running Cost record (NULL when unfinished)
--   finished: true when the log ends with Running Cost
--   resumed: true when the run was restarted
--   has_nan: true when any loss or accuracy is NaN
--   epochs_planned: epochs the config asks for
--   epochs_completed: epochs with CW-40 validation results
--   best_epoch: first epoch with the run's highest CW-40 validation accuracy
--   best_cw40_acc: CW-40 validation accuracy (%) at best_epoch
--   best_pgd20_acc: PGD-20 validation accuracy (%) at best_epoch
--   best_val_acc: clean validation accuracy (%) at best_epoch
--   final_cw40_acc: CW-40 validation accuracy (%) of the last epoch with results
--   overfit_gap: best_cw40_acc - final_cw40_acc (robust overfitting, in points)
--   first_decay_epoch: first epoch whose learning rate dropped (NULL when none is logged)
--   lr_decay_epochs: every epoch whose learning rate dropped, in order (empty when none)
--   scheduled_decay_epochs: the epochs the benchmark's code decays at for epochs_planned: the first
--     epochs >= 0.75 x E and >= 0.9 x E that are below E ([75, 90] for 100 epochs)
--   base_eval_id: the finished Linf Base test evaluation of the run's best checkpoint (evals.eval_id)
--   test_clean_acc: clean test accuracy (%) of that evaluation
--   test_fgsm_acc: FGSM test accuracy (%)
--   test_pgd20_acc: PGD-20 test accuracy (%)
--   test_cw40_acc: CW-40 test accuracy (%)
--   test_aa_acc: Linf AutoAttack test accuracy (%) of the finished standard AA evaluation

with decays as (
    select
        run_id,
        min(epoch) as first_decay_epoch,
        list(epoch order by epoch) as lr_decay_epochs
    from lr_decays_v1
    group by run_id
),

base_evals as (
    select
        c.run_id,
        e.eval_id,
        e.clean_acc,
        e.fgsm_acc,
        e.pgd20_acc,
        e.cw40_acc
    from chosen_evals_v1 as c
    inner join evals as e on c.eval_id = e.eval_id
    where
        c.attack = 'Base'
        and c.norm = 'Linf'
),

aa_evals as (
    select
        c.run_id,
        e.aa_acc
    from chosen_evals_v1 as c
    inner join evals as e on c.eval_id = e.eval_id
    where
        c.attack = 'AA'
        and c.norm = 'Linf'
),

final as (
    select
        r.run_id,
        r.arch_id,
        r.site,
        r.gpu,
        r.seed,
        r.started_at,
        r.finished_at,
        r.finished,
        r.resumed,
        r.has_nan,
        r.epochs_planned,
        r.epochs_completed,
        r.best_epoch,
        r.best_cw40_acc,
        r.best_pgd20_acc,
        r.best_val_acc,
        r.final_cw40_acc,
        r.best_cw40_acc - r.final_cw40_acc as overfit_gap,
        d.first_decay_epoch,
        coalesce(d.lr_decay_epochs, cast([] as integer[])) as lr_decay_epochs,
        cast(
            case
                when
                    ceil(0.9 * r.epochs_planned) < r.epochs_planned
                    and ceil(0.9 * r.epochs_planned) > ceil(0.75 * r.epochs_planned)
                    then [ceil(0.75 * r.epochs_planned), ceil(0.9 * r.epochs_planned)]
                when ceil(0.75 * r.epochs_planned) < r.epochs_planned then [ceil(0.75 * r.epochs_planned)]
                else []
            end as integer[]
        ) as scheduled_decay_epochs,
        b.eval_id as base_eval_id,
        b.clean_acc as test_clean_acc,
        b.fgsm_acc as test_fgsm_acc,
        b.pgd20_acc as test_pgd20_acc,
        b.cw40_acc as test_cw40_acc,
        a.aa_acc as test_aa_acc
    from runs as r
    left join decays as d on r.run_id = d.run_id
    left join base_evals as b on r.run_id = b.run_id
    left join aa_evals as a on r.run_id = a.run_id
)

select * from final
order by arch_id, site, run_id
