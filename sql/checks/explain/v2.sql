-- check: explain
-- version: 2 (v1 kept combinations that chance alone gives among the hundreds it tries: on noisy
--   runs with no cause it named one; v2 keeps a combination of v1 only when chance would give one
--   as strong less often than explain.max_chance, and says how often: chance)
-- grain: one row per outcome and combination of run attributes that explains it
-- reads: check_explain_v1, params_v1, run_attributes_v1, run_outcomes_v1
-- question: Which combinations of run attributes explain the runs that went wrong, beyond what
--   chance gives among all the combinations tried? The combinations of check_explain_v1 (support,
--   risk ratio, gain over simpler ones, absorbing attributes: see there), each tested as a 2x2 table
--   (matched or not, outcome or not) with the G-test (log-likelihood ratio, 1 degree of freedom).
--   Its p-value is bounded above by 2 phi(z) / z at z = sqrt(G) (the normal tail) and multiplied by
--   the combinations tried for the outcome (Bonferroni): every combination of 1 to explain.max_order
--   of the values frequent among its outliers (at least explain.min_support of them and
--   explain.min_outliers), counted as if any values could be combined, so at least as many as v1
--   tries. That is chance, at most 1; a combination is kept when chance <= explain.max_chance and
--   ranked again among the kept ones in v1's order.
-- columns:
--   outcome: low_accuracy, early_best_epoch or robust_overfitting
--   rank: 1 = the strongest explanation of the outcome
--   explanation: the combination in words, e.g. precision_path = native_amp_unscaled and site = MSU
--   attributes: its attributes, in name order
--   attribute_values: their values, in the same order
--   outliers_matched: outlier runs it matches
--   outliers: outlier runs of the outcome
--   inliers_matched: inlier runs it matches
--   inliers: inlier runs of the outcome
--   support: outliers_matched / outliers
--   risk_ratio: outlier rate of the matched runs / outlier rate of the others
--   risk_ratio_low: lower end of the 95% interval of risk_ratio
--   risk_ratio_high: upper end of the 95% interval of risk_ratio
--   chance: bound on the probability that chance alone gives a combination this strong among the
--     combinations tried (G-test p-value bound x combinations tried, at most 1)
--   explained_by: attribute within whose levels it no longer explains the outcome (NULL when none
--     does, or when it is not among the combinations checked)
--   explained_by_risk_ratio: its Mantel-Haenszel risk ratio within the levels of explained_by
--   aliases: other attribute values that hold for exactly the same runs as one of its values (a
--     site's own settings, say): they explain as much, and are not listed as explanations of their own

with params as (
    select
        explain_min_support as min_support,
        explain_min_outliers as min_outliers,
        explain_max_order as max_order,
        explain_max_chance as max_chance
    from params_v1
),

outcomes as (
    select * from run_outcomes_v1
),

outlier_totals as (
    select
        outcome,
        count(*) filter (where is_outlier) as outliers
    from outcomes
    group by outcome
),

frequent_values as (
    -- the attribute values frequent among an outcome's outliers: the values v1 combines (and their aliases)
    select
        o.outcome,
        a.attribute,
        a.value
    from outcomes as o
    inner join run_attributes_v1 as a on o.run_id = a.run_id
    inner join outlier_totals as t on o.outcome = t.outcome
    cross join params as p
    where o.is_outlier
    group by o.outcome, a.attribute, a.value
    having count(*) >= greatest(any_value(p.min_support) * any_value(t.outliers), any_value(p.min_outliers))
),

tried as (
    select
        f.outcome,
        f.n_values
        + case when p.max_order >= 2 then f.n_values * (f.n_values - 1) / 2 else 0 end
        + case when p.max_order >= 3 then f.n_values * (f.n_values - 1) * (f.n_values - 2) / 6 else 0 end
            as n_tried
    from (
        select
            outcome,
            count(*) as n_values
        from frequent_values
        group by outcome
    ) as f
    cross join params as p
),

tables as (
    -- each combination's 2x2 table: its cells and the counts independence would give them
    select
        e.*,
        t.n_tried,
        e.outliers_matched as o11,
        e.inliers_matched as o12,
        e.outliers - e.outliers_matched as o21,
        e.inliers - e.inliers_matched as o22,
        (e.outliers_matched + e.inliers_matched) * e.outliers / (e.outliers + e.inliers) as e11,
        (e.outliers_matched + e.inliers_matched) * e.inliers / (e.outliers + e.inliers) as e12,
        (e.outliers - e.outliers_matched + e.inliers - e.inliers_matched) * e.outliers / (e.outliers + e.inliers)
            as e21,
        (e.outliers - e.outliers_matched + e.inliers - e.inliers_matched) * e.inliers / (e.outliers + e.inliers)
            as e22
    from check_explain_v1 as e
    inner join tried as t on e.outcome = t.outcome
),

tested as (
    select
        *,
        case
            when g <= 0 then 1.0
            else round(least(1.0, n_tried * 2 * exp(-g / 2) / sqrt(2 * pi() * g)), 6)
        end as chance
    from (
        select
            *,
            2 * (
                case when o11 > 0 then o11 * ln(o11 / e11) else 0 end
                + case when o12 > 0 then o12 * ln(o12 / e12) else 0 end
                + case when o21 > 0 then o21 * ln(o21 / e21) else 0 end
                + case when o22 > 0 then o22 * ln(o22 / e22) else 0 end
            ) as g
        from tables
    ) as g_tables
),

final as (
    select
        t.outcome,
        row_number() over (partition by t.outcome order by t.rank) as rank,
        t.explanation,
        t.attributes,
        t.attribute_values,
        t.outliers_matched,
        t.outliers,
        t.inliers_matched,
        t.inliers,
        t.support,
        t.risk_ratio,
        t.risk_ratio_low,
        t.risk_ratio_high,
        t.chance,
        t.explained_by,
        t.explained_by_risk_ratio,
        t.aliases
    from tested as t
    cross join params as p
    where t.chance <= p.max_chance
)

select * from final
order by outcome, rank
