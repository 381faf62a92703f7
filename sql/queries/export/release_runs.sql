-- query: export/release_runs
-- question: Which run stands for each arch in the release file, and what did its best checkpoint
--   score? Per arch, its first finished run with a best epoch (known sites first, then by start
--   time and run id), not flagged by an excluded check (temp view _excluded), with the finished
--   Linf Base, Linf AA and cifar10c evaluations chosen for it (chosen_evals_v1). A test loss, CW
--   Stable or CW LIP the Linf Base evaluation lacks (code before 2024-04-18: no Test Loss and LIP,
--   the natural accuracy printed as CW Stable) comes from the run's finished test-loss re-evaluation
--   when it has one (chosen_re_evaluations_v1):
--   re_evaluated says so; cw40_stable_is_natural, that the CW Stable is still missing for that fault.

with chosen as (
    select
        *,
        row_number() over (partition by arch_id order by (site = 'unknown'), started_at nulls last, run_id) as rank
    from runs
    where finished and best_epoch is not null and run_id not in (select run_id from _excluded)
),

chosen_evals as (
    select e.*
    from chosen_evals_v1 as c inner join evals as e on c.eval_id = e.eval_id
)

select
    r.run_id,
    r.arch_id,
    r.d1,
    r.w1,
    r.d2,
    r.w2,
    r.d3,
    r.w3,
    r.macs_m,
    r.params_mb,
    r.seed,
    r.gpu,
    strftime(r.started_at, '%Y-%m-%d') as day,
    r.running_cost_days,
    r.best_epoch,
    b.clean_acc,
    coalesce(b.test_loss, t.test_loss) as test_loss,
    b.fgsm_acc,
    b.fgsm_stable,
    b.pgd20_acc,
    b.pgd20_stable,
    b.pgd20_lip,
    b.cw40_acc,
    coalesce(b.cw40_stable, t.cw40_stable) as cw40_stable,
    coalesce(b.cw40_lip, t.cw40_lip) as cw40_lip,
    b.cw40_stable_is_natural and t.cw40_stable is null as cw40_stable_is_natural,
    coalesce(
        b.test_loss is null and t.test_loss is not null
        or b.cw40_stable is null and t.cw40_stable is not null
        or b.cw40_lip is null and t.cw40_lip is not null,
        false
    ) as re_evaluated,
    a.aa_acc,
    c.eval_id as corruption_eval_id
from chosen as r
left join chosen_evals as b on r.run_id = b.run_id and b.norm = 'Linf' and b.attack = 'Base'
left join chosen_evals as a on r.run_id = a.run_id and a.norm = 'Linf' and a.attack = 'AA'
left join chosen_evals as c on r.run_id = c.run_id and c.attack = 'cifar10c'
left join chosen_re_evaluations_v1 as t on b.run_id = t.run_id
where r.rank = 1
order by r.arch_id
