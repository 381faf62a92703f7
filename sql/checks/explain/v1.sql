-- check: explain
-- version: 1 (first version)
-- grain: one row per outcome and combination of run attributes that explains it
-- reads: check_best_epoch_v2, check_params, check_robust_overfitting_v1, run_attributes_v1, run_neighbours_v2
-- question: Which combinations of run attributes explain the runs that went wrong? The explanation
--   operator of MacroBase (Bailis et al., SIGMOD 2017) over the attributes of run_attributes. For
--   each outcome (low_accuracy: run_neighbours.is_low; early_best_epoch: check_best_epoch.early;
--   robust_overfitting: check_robust_overfitting.overfits) the runs where it holds are the outliers,
--   the others the inliers. A combination of 1 to explain.max_order attribute values (check_params)
--   is kept when its support (outliers it matches / all outliers) is at least explain.min_support,
--   it matches at least explain.min_outliers outliers, and its risk ratio (the outlier rate of the
--   runs it matches over that of the runs it does not) is at least explain.min_risk_ratio; only
--   values frequent among the outliers are combined (support never grows with more values). A
--   combination is dropped when a simpler one (one value fewer) matches the same runs. Ranked by risk
--   ratio, then support. The interval is the 95% one of the log risk ratio (0.5 added to every
--   count when one is 0). Continuous attributes come binned (run_attributes: months, quartiles).
--   Confounding: for the explain.confounders_checked best combinations of each outcome, the risk
--   ratio is recomputed within the levels of each attribute of the other kept single-value
--   explanations (Mantel-Haenszel); explained_by names the attribute within whose levels the
--   combination falls below explain.min_risk_ratio (the one that absorbs it most), NULL when none.
--   Attribute values that hold for exactly the same runs (same count and hash of run ids) are one:
--   the first of site, precision_path, code_version, gpu, start_month, the other attributes, the
--   settings stands for the others, listed in aliases.
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
--   explained_by: attribute within whose levels it no longer explains the outcome (NULL when none
--     does, or when it is not among the combinations checked)
--   explained_by_risk_ratio: its Mantel-Haenszel risk ratio within the levels of explained_by
--   aliases: other attribute values that hold for exactly the same runs as one of its values (a
--     site's own settings, say): they explain as much, and are not listed as explanations of their own

with params as (
    select
        max(value) filter (where name = 'explain.min_support') as min_support,
        max(value) filter (where name = 'explain.min_risk_ratio') as min_risk_ratio,
        max(value) filter (where name = 'explain.max_order') as max_order,
        max(value) filter (where name = 'explain.min_outliers') as min_outliers,
        max(value) filter (where name = 'explain.confounders_checked') as confounders_checked
    from check_params
),

-- the CTEs read more than once are materialized: DuckDB releases before 1.3 would otherwise
-- compute them again at every reference
outcomes as materialized (
    select
        run_id,
        'low_accuracy' as outcome,
        is_low as is_outlier
    from run_neighbours_v2
    union all
    select
        run_id,
        'early_best_epoch' as outcome,
        early as is_outlier
    from check_best_epoch_v2
    union all
    select
        run_id,
        'robust_overfitting' as outcome,
        overfits as is_outlier
    from check_robust_overfitting_v1
),

totals as materialized (
    select
        t.outcome,
        t.outliers,
        t.inliers,
        greatest(p.min_support * t.outliers, p.min_outliers) as min_matched
    from (
        select
            outcome,
            count(*) filter (where is_outlier) as outliers,
            count(*) filter (where not is_outlier) as inliers
        from outcomes
        group by outcome
    ) as t
    cross join params as p
),

signatures as (
    -- the runs of each attribute value, as a count and a combined hash of their ids
    select
        attribute,
        value,
        count(*) as n_runs,
        bit_xor(hash(run_id)) as signature
    from run_attributes_v1
    group by attribute, value
),

representatives as materialized (
    -- attribute values that hold for exactly the same runs say the same thing: the first of them
    -- (site, precision path, code version, GPU, start month, other attributes, then settings)
    -- stands for all, the others are its aliases
    select
        attribute,
        value,
        first_value(attribute) over same_runs as representative_attribute,
        first_value(value) over same_runs as representative_value,
        row_number() over same_runs as alias_rank
    from signatures
    window same_runs as (
        partition by n_runs, signature
        order by
            case attribute
                when 'site' then 0 when 'precision_path' then 1 when 'code_version' then 2 when 'gpu' then 3
                when 'start_month' then 4
                else case when attribute like 'setting.%' then 20 else 10 end
            end,
            attribute,
            value
    )
),

aliases as (
    select
        representative_attribute as attribute,
        representative_value as value,
        list(attribute || ' = ' || value order by attribute, value) as aliases
    from representatives
    where alias_rank > 1
    group by representative_attribute, representative_value
),

items as materialized (
    select
        o.outcome,
        o.run_id,
        o.is_outlier,
        a.attribute,
        a.value
    from outcomes as o
    inner join run_attributes_v1 as a on o.run_id = a.run_id
    inner join representatives as r on a.attribute = r.attribute and a.value = r.value
    where r.alias_rank = 1
),

singles as materialized (
    select
        outcome,
        attribute as a1,
        value as v1,
        count(*) filter (where is_outlier) as outliers_matched,
        count(*) filter (where not is_outlier) as inliers_matched
    from items
    group by outcome, attribute, value
),

frequent_outlier_items as materialized (
    select i.*
    from items as i
    inner join singles as s on i.outcome = s.outcome and i.attribute = s.a1 and i.value = s.v1
    inner join totals as t on i.outcome = t.outcome
    where i.is_outlier and s.outliers_matched >= t.min_matched
),

pair_outliers as (
    select
        a.outcome,
        a.attribute as a1,
        a.value as v1,
        b.attribute as a2,
        b.value as v2,
        count(*) as outliers_matched
    from frequent_outlier_items as a
    inner join frequent_outlier_items as b
        on a.outcome = b.outcome and a.run_id = b.run_id and a.attribute < b.attribute
    cross join params as p
    where p.max_order >= 2
    group by a.outcome, a.attribute, a.value, b.attribute, b.value
),

frequent_pairs as materialized (
    select p.*
    from pair_outliers as p
    inner join totals as t on p.outcome = t.outcome
    where p.outliers_matched >= t.min_matched
),

pairs as materialized (
    select
        p.outcome,
        p.a1,
        p.v1,
        p.a2,
        p.v2,
        any_value(p.outliers_matched) as outliers_matched,
        count(b.run_id) as inliers_matched
    from frequent_pairs as p
    left join items as a
        on p.outcome = a.outcome and p.a1 = a.attribute and p.v1 = a.value and not a.is_outlier
    left join items as b
        on a.outcome = b.outcome and a.run_id = b.run_id and p.a2 = b.attribute and p.v2 = b.value
    group by p.outcome, p.a1, p.v1, p.a2, p.v2
),

triple_outliers as (
    select
        a.outcome,
        a.attribute as a1,
        a.value as v1,
        b.attribute as a2,
        b.value as v2,
        c.attribute as a3,
        c.value as v3,
        count(*) as outliers_matched
    from frequent_outlier_items as a
    inner join frequent_pairs as ab
        on a.outcome = ab.outcome and a.attribute = ab.a1 and a.value = ab.v1
    inner join frequent_outlier_items as b
        on a.outcome = b.outcome and a.run_id = b.run_id and ab.a2 = b.attribute and ab.v2 = b.value
    inner join frequent_outlier_items as c
        on a.outcome = c.outcome and a.run_id = c.run_id and b.attribute < c.attribute
    cross join params as p
    where p.max_order >= 3
    group by a.outcome, a.attribute, a.value, b.attribute, b.value, c.attribute, c.value
),

frequent_triples as (
    select p.*
    from triple_outliers as p
    inner join totals as t on p.outcome = t.outcome
    where p.outliers_matched >= t.min_matched
),

triples as materialized (
    select
        p.outcome,
        p.a1,
        p.v1,
        p.a2,
        p.v2,
        p.a3,
        p.v3,
        any_value(p.outliers_matched) as outliers_matched,
        count(c.run_id) as inliers_matched
    from frequent_triples as p
    left join items as a
        on p.outcome = a.outcome and p.a1 = a.attribute and p.v1 = a.value and not a.is_outlier
    left join items as b
        on a.outcome = b.outcome and a.run_id = b.run_id and p.a2 = b.attribute and p.v2 = b.value
    left join items as c
        on b.outcome = c.outcome and b.run_id = c.run_id and p.a3 = c.attribute and p.v3 = c.value
    group by p.outcome, p.a1, p.v1, p.a2, p.v2, p.a3, p.v3
),

combinations as (
    select
        outcome,
        1 as combination_order,
        a1,
        v1,
        null as a2,
        null as v2,
        null as a3,
        null as v3,
        outliers_matched,
        inliers_matched
    from singles
    union all
    select
        outcome,
        2 as combination_order,
        a1,
        v1,
        a2,
        v2,
        null as a3,
        null as v3,
        outliers_matched,
        inliers_matched
    from pairs
    union all
    select
        outcome,
        3 as combination_order,
        a1,
        v1,
        a2,
        v2,
        a3,
        v3,
        outliers_matched,
        inliers_matched
    from triples
),

simpler_twins as (
    -- combinations that match exactly the runs of one with a value fewer: same counts, as their
    -- runs are a subset of its runs
    select
        p.outcome,
        p.a1,
        p.v1,
        p.a2,
        p.v2,
        null as a3,
        null as v3
    from pairs as p
    inner join singles as s
        on p.outcome = s.outcome
        and ((s.a1 = p.a1 and s.v1 = p.v1) or (s.a1 = p.a2 and s.v1 = p.v2))
        and p.outliers_matched = s.outliers_matched and p.inliers_matched = s.inliers_matched
    union all
    select
        t.outcome,
        t.a1,
        t.v1,
        t.a2,
        t.v2,
        t.a3,
        t.v3
    from triples as t
    inner join pairs as p
        on t.outcome = p.outcome
        and (
            (p.a1 = t.a1 and p.v1 = t.v1 and p.a2 = t.a2 and p.v2 = t.v2)
            or (p.a1 = t.a1 and p.v1 = t.v1 and p.a2 = t.a3 and p.v2 = t.v3)
            or (p.a1 = t.a2 and p.v1 = t.v2 and p.a2 = t.a3 and p.v2 = t.v3)
        )
        and t.outliers_matched = p.outliers_matched and t.inliers_matched = p.inliers_matched
),

scored as (
    select
        c.*,
        t.outliers,
        t.inliers,
        t.min_matched,
        c.outliers_matched / t.outliers as support,
        case
            when c.outliers_matched = 0 or c.inliers_matched = 0
                or t.outliers - c.outliers_matched = 0 or t.inliers - c.inliers_matched = 0 then 0.5
            else 0
        end as h
    from combinations as c
    inner join totals as t on c.outcome = t.outcome
    where t.outliers > 0
        and not exists (
            select 1
            from simpler_twins as w
            where w.outcome = c.outcome
                and w.a1 = c.a1 and w.v1 = c.v1
                and w.a2 is not distinct from c.a2 and w.v2 is not distinct from c.v2
                and w.a3 is not distinct from c.a3 and w.v3 is not distinct from c.v3
        )
),

rated as (
    select
        *,
        ((outliers_matched + h) / (outliers_matched + inliers_matched + 2 * h))
        / ((outliers - outliers_matched + h) / (outliers - outliers_matched + inliers - inliers_matched + 2 * h))
            as risk_ratio,
        sqrt(
            1 / (outliers_matched + h) - 1 / (outliers_matched + inliers_matched + 2 * h)
            + 1 / (outliers - outliers_matched + h) - 1 / (outliers - outliers_matched + inliers - inliers_matched + 2 * h)
        ) as log_se
    from scored
),

kept as materialized (
    select
        r.*,
        row_number() over (
            partition by r.outcome
            order by r.risk_ratio desc, r.support desc, r.combination_order, r.a1, r.v1, r.a2, r.v2, r.a3, r.v3
        ) as rank
    from rated as r
    cross join params as p
    where r.outliers_matched >= r.min_matched
        and r.support >= p.min_support
        and r.risk_ratio >= p.min_risk_ratio
),

checked as (
    select k.*
    from kept as k
    cross join params as p
    where k.rank <= p.confounders_checked
),

members as (
    -- runs each checked combination matches
    select
        c.outcome,
        c.rank,
        a.run_id
    from checked as c
    inner join items as a on c.outcome = a.outcome and c.a1 = a.attribute and c.v1 = a.value
    left join items as b on a.outcome = b.outcome and a.run_id = b.run_id and c.a2 = b.attribute and c.v2 = b.value
    left join items as d on a.outcome = d.outcome and a.run_id = d.run_id and c.a3 = d.attribute and c.v3 = d.value
    where (c.a2 is null or b.run_id is not null) and (c.a3 is null or d.run_id is not null)
),

absorbers as (
    select
        outcome,
        a1 as attribute,
        min(rank) as absorber_rank
    from kept
    where combination_order = 1
    group by outcome, a1
),

strata as (
    -- per checked combination, absorbing attribute and level of it: the four counts of its 2x2 table
    select
        c.outcome,
        c.rank,
        x.attribute as absorber,
        x.absorber_rank,
        coalesce(l.value, 'unknown') as level,
        count(*) filter (where o.is_outlier and m.run_id is not null) as a,
        count(*) filter (where not o.is_outlier and m.run_id is not null) as b,
        count(*) filter (where o.is_outlier and m.run_id is null) as c,
        count(*) filter (where not o.is_outlier and m.run_id is null) as d
    from checked as c
    inner join absorbers as x
        on c.outcome = x.outcome
        and x.attribute <> c.a1 and x.attribute is distinct from c.a2 and x.attribute is distinct from c.a3
    inner join outcomes as o on c.outcome = o.outcome
    left join items as l on o.outcome = l.outcome and o.run_id = l.run_id and x.attribute = l.attribute
    left join members as m on c.outcome = m.outcome and c.rank = m.rank and o.run_id = m.run_id
    group by c.outcome, c.rank, x.attribute, x.absorber_rank, coalesce(l.value, 'unknown')
),

adjusted as (
    select
        outcome,
        rank,
        absorber,
        absorber_rank,
        -- no contrast within any level (every level all matched or without matched outliers): the
        -- attribute holds all of the combination's effect, 0; outliers only among the matched: NULL
        case
            when sum(a * (c + d) / (a + b + c + d)) = 0 then 0
            else sum(a * (c + d) / (a + b + c + d)) / nullif(sum(c * (a + b) / (a + b + c + d)), 0)
        end as mh_risk_ratio
    from strata
    group by outcome, rank, absorber, absorber_rank
),

absorbed as (
    -- the attribute that absorbs the combination most; on a tie, the one explaining the outcome best
    select
        outcome,
        rank,
        absorber as explained_by,
        mh_risk_ratio as explained_by_risk_ratio
    from (
        select
            a.*,
            row_number() over (
                partition by a.outcome, a.rank order by a.mh_risk_ratio, a.absorber_rank, a.absorber
            ) as choice
        from adjusted as a
        cross join params as p
        where a.mh_risk_ratio < p.min_risk_ratio
    ) as candidates
    where choice = 1
),

final as (
    select
        k.outcome,
        k.rank,
        k.a1 || ' = ' || k.v1
            || coalesce(' and ' || k.a2 || ' = ' || k.v2, '')
            || coalesce(' and ' || k.a3 || ' = ' || k.v3, '') as explanation,
        case k.combination_order when 1 then [k.a1] when 2 then [k.a1, k.a2] else [k.a1, k.a2, k.a3] end as attributes,
        case k.combination_order when 1 then [k.v1] when 2 then [k.v1, k.v2] else [k.v1, k.v2, k.v3] end
            as attribute_values,
        k.outliers_matched,
        k.outliers,
        k.inliers_matched,
        k.inliers,
        round(k.support, 4) as support,
        round(k.risk_ratio, 4) as risk_ratio,
        round(exp(ln(k.risk_ratio) - 1.96 * k.log_se), 4) as risk_ratio_low,
        round(exp(ln(k.risk_ratio) + 1.96 * k.log_se), 4) as risk_ratio_high,
        b.explained_by,
        round(b.explained_by_risk_ratio, 4) as explained_by_risk_ratio,
        list_concat(list_concat(coalesce(l1.aliases, []), coalesce(l2.aliases, [])), coalesce(l3.aliases, [])) as aliases
    from kept as k
    left join absorbed as b on k.outcome = b.outcome and k.rank = b.rank
    left join aliases as l1 on k.a1 = l1.attribute and k.v1 = l1.value
    left join aliases as l2 on k.a2 = l2.attribute and k.v2 = l2.value
    left join aliases as l3 on k.a3 = l3.attribute and k.v3 = l3.value
)

select * from final
order by outcome, rank
