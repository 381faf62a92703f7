-- headline of check_code_versions: code versions per site and kind, with the low share of training ones.
-- findings: sites that ran more than one version of the training code.

with by_site as (
    select
        site,
        count(*) filter (where kind = 'training') as n_training,
        count(*) filter (where kind <> 'training') as n_evaluation,
        sum(n_low) as n_low,
        sum(n_finished) as n_finished
    from check_code_versions
    group by site
),

final as (
    select
        coalesce(
            string_agg(
                site || ' ' || n_training || ' training and ' || n_evaluation || ' evaluation code versions',
                ', ' order by site
            ),
            'no log with a code fingerprint'
        ) as headline,
        count(*) filter (where n_training > 1) as findings
    from by_site
)

select * from final
