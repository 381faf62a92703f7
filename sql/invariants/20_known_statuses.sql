-- invariant: known_statuses
-- holds: every files row has a known status
-- The tool writes ok, partial, skipped or error (a file whose content was unchanged keeps its row);
-- anything else was written by another program.

with final as (
    select
        'files: ' || path || ' has status ' || coalesce(status, 'NULL') || ' (ok, partial, skipped or error expected)'
            as problem
    from files
    where status is null or status not in ('ok', 'partial', 'skipped', 'error')
)

select * from final
order by problem
