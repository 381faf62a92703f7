-- headline of check_explain: per outcome, its strongest explanation that no other attribute absorbs.
-- findings: outcomes with an explanation above the thresholds that no other attribute absorbs.
-- flagged: explained_by is null

with best as (
    select
        outcome,
        arg_min(explanation, rank) filter (where explained_by is null) as explanation,
        arg_min(risk_ratio, rank) filter (where explained_by is null) as risk_ratio,
        arg_min(support, rank) filter (where explained_by is null) as support,
        count(*) filter (where explained_by is null) as n_alone,
        count(*) as n_explanations
    from check_explain
    group by outcome
    having count(*) filter (where explained_by is null) > 0
),

final as (
    select
        coalesce(
            string_agg(
                outcome || ': ' || explanation || ' (risk ratio ' || printf('%.1f', risk_ratio) || ', support '
                || printf('%.0f', 100 * support) || '%; ' || n_alone || ' of ' || n_explanations
                || ' explanations not absorbed by another attribute)',
                '; ' order by outcome
            ),
            'no attribute combination explains an outcome above the thresholds of check_params'
        ) as headline,
        count(*) as findings
    from best
)

select * from final
