-- flagged runs of check_gpu_accuracy: the low runs of a site and GPU flagged beyond chance.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check gpu_accuracy`
-- and `export release --exclude-check gpu_accuracy`.

select
    n.run_id,
    n.arch_id,
    n.site
from run_neighbours as n
inner join check_gpu_accuracy as g
    on
        n.site = g.site
        and coalesce(n.gpu, 'cpu') = g.gpu
where g.beyond_chance and n.is_low
