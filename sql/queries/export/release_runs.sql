-- query: export/release_runs
-- question: Which run stands for each arch in the release file, and what did its best checkpoint
--   score? Per arch, its first finished run with a best epoch (known sites first, then by start
--   time and run id), not flagged by an excluded check (temp view _excluded), with the finished
--   Linf Base, Linf AA and cifar10c evaluations chosen for it (chosen_evals_v1), and whether that
--   Linf Base evaluation's code printed the natural accuracy as CW Stable (its cw40_stable is NULL).

with chosen as (
    select
        *,
        row_number() over (partition by arch_id order by (site = 'unknown'), started_at nulls last, run_id) as rank
    from runs
    where finished and best_epoch is not null and run_id not in (select run_id from _excluded)
),

evals_ranked as (
    select
        e.*,
        1 as rank
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
    b.test_loss,
    b.fgsm_acc,
    b.fgsm_stable,
    b.pgd20_acc,
    b.pgd20_stable,
    b.pgd20_lip,
    b.cw40_acc,
    b.cw40_stable,
    b.cw40_lip,
    b.cw40_stable_is_natural,
    a.aa_acc,
    c.eval_id as corruption_eval_id
from chosen as r
left join evals_ranked as b on r.run_id = b.run_id and b.norm = 'Linf' and b.attack = 'Base' and b.rank = 1
left join evals_ranked as a on r.run_id = a.run_id and a.norm = 'Linf' and a.attack = 'AA' and a.rank = 1
left join evals_ranked as c on r.run_id = c.run_id and c.attack = 'cifar10c' and c.rank = 1
where r.rank = 1
order by r.arch_id
