-- report: demo_roots
-- grain: one row per ingested folder whose sites file marks its logs as synthetic
-- reads: files, roots
-- question: Does the warehouse hold demo data? The folders ingested with a sites file that says
--   `[demo] synthetic = true` (the demo corpus of `cli.py demo` writes it) and that hold files; the
--   report and `cli.py check` say so in their first line.
-- columns:
--   root: the ingested folder
--   n_files: its files in the warehouse

with synthetic as (
    select root
    from roots
    where synthetic
),

final as (
    select
        s.root,
        count(*) as n_files
    from synthetic as s
    inner join files as f on s.root = f.root
    group by s.root
)

select * from final
order by root
