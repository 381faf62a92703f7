-- query: params/refresh_param
-- question: Does the parameter `$1` carry its folder's current check name ($2), unit ($3) and
--   description ($4)? Refreshes them when they differ; its value is never changed.
-- parameters: $1 name, $2 check_name, $3 unit, $4 description

update check_params
set
    check_name = $2,
    unit = $3,
    description = $4
where name = $1 and (check_name, unit, description) is distinct from ($2, $3, $4)
