-- flagged runs of check_vertical_lines: the low runs inside a band of low archs beyond chance.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check vertical_lines`
-- and `export release --exclude-check vertical_lines`.

select
    n.run_id,
    n.arch_id,
    n.site
from run_neighbours as n
inner join check_vertical_lines as b on n.arch_id between b.first_arch_id and b.last_arch_id
where n.is_low and b.beyond_chance
