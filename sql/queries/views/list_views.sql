-- query: views/list_views
-- question: Which view versions are installed? The rows `nares views` prints: per view version its
--   current name (when it is the newest), kind, what it reads, its question (the description up to
--   its first question mark), what changed and when it was installed; helpers first, newest version
--   first per name.

select
    view_name as view,
    case when is_current then name else '' end as current_as,
    kind,
    array_to_string(reads, ', ') as reads,
    coalesce(nullif(regexp_extract(description, '^(.*?[?])(\s|$)', 1), ''), description) as question,
    changes,
    installed_at
from view_versions
order by kind = 'check' or starts_with(name, 'check_'), name, version desc nulls first
