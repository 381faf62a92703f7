-- step: archs
-- does: Rebuild the archs dimension from what the logs print (depths, widths, params, MACs).
-- One row per arch id seen in runs or evals; values are the most common over that arch's logs.
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

final as (
    select
        arch_id,
        mode(d1) as d1,
        mode(w1) as w1,
        mode(d2) as d2,
        mode(w2) as w2,
        mode(d3) as d3,
        mode(w3) as w3,
        case when arch_id < 5162 then 'small' when arch_id > 13071 then 'large' else 'medium' end as size_class,
        mode(params_mb) as params_mb,
        mode(macs_m) as macs_m,
        count(*) filter (where source = 'run') as n_runs,
        count(*) filter (where source = 'eval') as n_evals
    from observed
    group by arch_id
)

select * from final
order by arch_id;
