-- step: archs
-- does: Rebuild the archs dimension from what the logs print (depths, widths, params, MACs).
-- One row per arch id seen in runs or evals; values are the most common over that arch's logs.
-- An arch whose logs all print the same values (nearly every arch) takes them from min(), and
-- only the others go through mode(): eight mode() aggregates over every arch cost ~30 ms of
-- every small ingest. Both give the same value: min() = max() = mode() when the non-null values
-- agree, and all three are null when there are none.
-- size_class states the thresholds of ingest/space.py size_class (SMALL_BELOW, LARGE_ABOVE), the
-- search space's one module; tests/test_space.py holds the two to the same class for every id.

delete from archs;

insert into archs
with observed as (
    select
        arch_id,
        d1,
        w1,
        d2,
        w2,
        d3,
        w3,
        params_mb,
        macs_m,
        'run' as source
    from runs
    union all
    select
        arch_id,
        d1,
        w1,
        d2,
        w2,
        d3,
        w3,
        params_mb,
        macs_m,
        'eval' as source
    from evals
),

per_arch as (
    select
        arch_id,
        min(d1) as d1,
        min(w1) as w1,
        min(d2) as d2,
        min(w2) as w2,
        min(d3) as d3,
        min(w3) as w3,
        min(params_mb) as params_mb,
        min(macs_m) as macs_m,
        count(*) filter (where source = 'run') as n_runs,
        count(*) filter (where source = 'eval') as n_evals,
        min(d1) = max(d1) is not false
        and min(w1) = max(w1) is not false
        and min(d2) = max(d2) is not false
        and min(w2) = max(w2) is not false
        and min(d3) = max(d3) is not false
        and min(w3) = max(w3) is not false
        and min(params_mb) = max(params_mb) is not false
        and min(macs_m) = max(macs_m) is not false as agree
    from observed
    group by arch_id
),

disputed as (
    select
        arch_id,
        mode(d1) as d1,
        mode(w1) as w1,
        mode(d2) as d2,
        mode(w2) as w2,
        mode(d3) as d3,
        mode(w3) as w3,
        mode(params_mb) as params_mb,
        mode(macs_m) as macs_m
    from observed
    where
        arch_id in (
            select arch_id from per_arch
            where not agree
        )
    group by arch_id
),

final as (
    select
        a.arch_id,
        case when a.agree then a.d1 else d.d1 end as d1,
        case when a.agree then a.w1 else d.w1 end as w1,
        case when a.agree then a.d2 else d.d2 end as d2,
        case when a.agree then a.w2 else d.w2 end as w2,
        case when a.agree then a.d3 else d.d3 end as d3,
        case when a.agree then a.w3 else d.w3 end as w3,
        case when a.arch_id < 5162 then 'small' when a.arch_id > 13071 then 'large' else 'medium' end as size_class,
        case when a.agree then a.params_mb else d.params_mb end as params_mb,
        case when a.agree then a.macs_m else d.macs_m end as macs_m,
        a.n_runs,
        a.n_evals
    from per_arch as a
    left join disputed as d on a.arch_id = d.arch_id
)

select * from final
order by arch_id;
