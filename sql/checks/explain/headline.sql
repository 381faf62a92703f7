-- headline of check_explain: per outcome, its strongest explanation that no other attribute absorbs.
-- findings: outcomes with at least one explanation above the thresholds.

with best as (
    select
        outcome,
        arg_min(explanation, rank) as explanation,
        arg_min(risk_ratio, rank) as risk_ratio,
        arg_min(support, rank) as support,
        count(*) as n_explanations
    from check_explain
    where explained_by is null
    group by outcome
),

final as (
    select
        coalesce(
            string_agg(
                outcome || ': ' || explanation || ' (risk ratio ' || printf('%.1f', risk_ratio) || ', support '
                    || printf('%.0f', 100 * support) || '%; ' || n_explanations || ' kept)',
                '; ' order by outcome
            ),
            'no attribute combination explains an outcome above the thresholds of check_params'
        ) as headline,
        count(*) as findings
    from best
)

select * from final
