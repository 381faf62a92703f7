-- headline of check_config_drift: the settings that differ between sites, what the logs show happened
-- (observed.*) first, then config entries and arguments, then the environment; for the first four,
-- the values that not every site has (with their run counts).
-- Then the finished runs whose lr decayed off the benchmark's schedule, at any site.
-- findings: settings that differ, plus runs off the lr schedule.
-- flagged: differs

with check_rows as materialized (
    -- the view's rows once: the query reads them 3 times
    select * from check_config_drift
),

known as (
    select *
    from check_rows
    where site <> 'unknown'
),

sites as (
    select
        list_sort(list(distinct site)) as known_sites,
        (select count(distinct parameter) from check_rows) as n_parameters
    from known
),

value_spread as (
    select
        parameter,
        value,
        count(distinct site) as n_sites_with_value
    from known
    where differs
    group by parameter, value
),

parameter_spread as (
    select
        parameter,
        min(source) as source,
        count(distinct site) as n_sites
    from known
    where differs
    group by parameter
),

differing as (
    select
        p.parameter,
        p.source,
        string_agg(k.site || ' ' || k.value || ' x' || k.n_runs, ' / ' order by k.site, k.n_runs desc, k.value)
            as site_values
    from parameter_spread as p
    inner join known as k on p.parameter = k.parameter
    inner join value_spread as v
        on
            k.parameter = v.parameter
            and k.value = v.value
    where v.n_sites_with_value < p.n_sites
    group by p.parameter, p.source
),

numbered as (
    select
        parameter,
        site_values,
        row_number() over (
            order by list_position(['observed', 'config', 'argument', 'environment'], source), parameter
        ) as row_no
    from differing
),

listed as (
    select
        count(*) as n_differ,
        string_agg(
            parameter || case when row_no <= 4 then ' (' || site_values || ')' else '' end,
            ', '
            order by row_no
        ) as parameters
    from numbered
),

off_schedule as (
    select
        coalesce(sum(n_runs), 0) as n_runs,
        string_agg(site || ' ' || n_runs, ', ' order by n_runs desc, site) as by_site
    from check_rows
    where
        parameter = 'observed.lr_decay_on_schedule'
        and value = 'no'
),

final as (
    select
        case
            when coalesce(len(s.known_sites), 0) = 0 then 'no run of a known site: nothing to compare'
            when len(s.known_sites) = 1
                then
                    'one known site only (' || s.known_sites[1] || '): nothing to compare'
            when l.n_differ = 0
                then
                    'no setting differs between ' || array_to_string(s.known_sites, ' and ')
                    || ' (' || s.n_parameters || ' compared)'
            else
                l.n_differ || ' of ' || s.n_parameters || ' settings differ between '
                || array_to_string(s.known_sites, ' and ') || ': ' || l.parameters
        end
        || case
            when o.n_runs > 0
                then
                    '; lr decayed off the 0.75/0.9 schedule in ' || o.n_runs || ' finished runs (' || o.by_site || ')'
            else ''
        end as headline,
        l.n_differ + o.n_runs as findings
    from sites as s
    cross join listed as l
    cross join off_schedule as o
)

select * from final
