-- report: explain_ranking
-- grain: one row per outcome and explanation of at most $max_order attribute values
-- reads: check_explain
-- question: Which attribute combinations explain each outcome, strongest first? `cli.py explain`:
--   the rows of check_explain of one outcome ($outcome; NULL: every outcome) with at most
--   $max_order values, ranked again among themselves.
-- columns:
--   outcome: low_accuracy, early_best_epoch or robust_overfitting
--   rank: rank among the rows shown (1 = strongest)
--   explanation: the combination in words
--   matched: outlier runs it matches / outlier runs, and the other runs it matches
--   support: outliers_matched / outliers
--   risk_ratio: outlier rate of the matched runs / that of the others
--   interval: 95% interval of the risk ratio
--   chance: bound on how often chance alone gives a combination this strong among those tried
--   explained_by: attribute within whose levels it no longer explains the outcome (NULL: none)
--   aliases: attribute values that hold for the same runs

with shown as (
    select *
    from check_explain
    where ($outcome is null or outcome = $outcome) and len(attributes) <= $max_order
),

final as (
    select
        outcome,
        row_number() over (partition by outcome order by rank) as rank,
        explanation,
        outliers_matched || '/' || outliers || ' + ' || inliers_matched as matched,
        round(support, 3) as support,
        round(risk_ratio, 2) as risk_ratio,
        printf('%.2f-%.2f', risk_ratio_low, risk_ratio_high) as interval,
        case when chance < 0.000001 then '<1e-06' else printf('%.2g', chance) end as chance,
        explained_by,
        aliases
    from shown
)

select * from final
order by outcome, rank
