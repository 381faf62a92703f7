-- step: gpus
-- does: Rebuild the gpus dimension from every GPU List line of runs and evaluations.

delete from gpus;

insert into gpus
with named as (
    select
        unnest(gpu_list) as gpu,
        'run' as source,
        gpu_list[1] as primary_gpu
    from runs
    where gpu_list is not null
    union all
    select
        unnest(gpu_list) as gpu,
        'eval' as source,
        gpu_list[1] as primary_gpu
    from evals
    where gpu_list is not null
),

final as (
    select
        gpu,
        split_part(gpu, ' ', 1) as vendor,
        (
            select count(*) from runs
            where runs.gpu = named.gpu
        ) as n_runs,
        (
            select count(*) from evals
            where evals.gpu = named.gpu
        ) as n_evals
    from named
    group by gpu
)

select * from final
order by gpu;
