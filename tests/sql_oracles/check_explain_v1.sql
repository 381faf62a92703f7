-- oracle: the SQL of check_explain_v1 before a same-rows rewrite replaced it in place (the
-- combinations are now listed by joining each chunk's frequent values instead of list
-- comprehensions, ~0.1 s faster at full scale); tests/test_view_versions.py compares its rows with these.
-- check: explain
-- version: 1 (first version)
-- grain: one row per outcome and combination of run attributes that explains it
-- reads: params_v1, run_attributes_v1, run_outcomes_v1
-- question: Which combinations of run attributes explain the runs that went wrong? The explanation
--   operator of MacroBase (Bailis et al., SIGMOD 2017) over the attributes of run_attributes. For
--   each outcome of run_outcomes (low_accuracy: run_neighbours.is_low; early_best_epoch:
--   check_best_epoch.early; robust_overfitting: check_robust_overfitting.overfits) the runs where
--   it holds are the outliers, the others the inliers. A combination of 1 to explain.max_order attribute values (check_params)
--   is kept when its support (outliers it matches / all outliers) is at least explain.min_support,
--   it matches at least explain.min_outliers outliers, and its risk ratio (the outlier rate of the
--   runs it matches over that of the runs it does not) is at least explain.min_risk_ratio; only
--   values frequent among the outliers (as often as that) are combined, as support never grows
--   with more values. A combination of two or three values is kept only when its risk ratio is at
--   least explain.min_gain times that of each of its subsets of one value fewer: one that explains
--   no more is the simpler one restated. Ranked by risk ratio, then support. The interval is the
--   95% one of the log risk ratio (0.5 added to every count when one is 0). Continuous attributes
--   come binned (run_attributes: months, quartiles).
--   Confounding: for the explain.confounders_checked best combinations of each outcome, the risk
--   ratio is recomputed within the levels of each attribute of the other kept single-value
--   explanations (Mantel-Haenszel); explained_by names the attribute within whose levels the
--   combination falls below explain.min_risk_ratio (the one that absorbs it most), NULL when none.
--   An attribute the combination is a union of levels of (a site, and GPUs only it has) cannot be
--   told apart from it and absorbs nothing.
--   Attribute values that hold for exactly the same runs (same count and hash of run ids) are one:
--   the first of site, precision_path, code_version, gpu, start_month, the other attributes, the
--   settings stands for the others, listed in aliases.
--   How: the runs of an outcome are bits (4,096 a chunk); each attribute value is a bitmap of its
--   runs and of its outlier runs, and every count is the bit count of an AND of bitmaps. The
--   combinations of frequent values are listed chunk by chunk in one pass (no step joins runs to
--   runs), and each intermediate result is read as few times as possible: DuckDB releases before
--   1.2 compute a CTE again at each reference.
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
        explain_min_support as min_support,
        explain_min_risk_ratio as min_risk_ratio,
        explain_max_order as max_order,
        explain_min_gain as min_gain,
        explain_min_outliers as min_outliers,
        explain_confounders_checked as confounders_checked
    from params_v1
),

outcomes as (
    select * from run_outcomes_v1
),

positions as (
    -- each run of an outcome as a bit (chunk, position in it), with the outcome's totals
    select
        run_id,
        outcome,
        is_outlier,
        (row_number() over by_run - 1) // 4096 as chunk,
        (row_number() over by_run - 1) % 4096 as bit,
        sum(cast(is_outlier as integer)) over (partition by outcome) as outliers,
        sum(cast(not is_outlier as integer)) over (partition by outcome) as inliers
    from outcomes
    where is_outlier is not null
    window by_run as (partition by outcome order by run_id)
),

value_bits as (
    -- the runs of each outcome with each attribute value, chunk by chunk: all of them, and the
    -- outliers among them (NULL for a chunk without any: its counts are 0), with the value's totals
    select
        *,
        sum(bit_count(bits)) over same_value as value_runs,
        coalesce(sum(bit_count(outlier_bits)) over same_value, 0) as value_outliers
    from (
        select
            p.outcome,
            a.attribute,
            a.value,
            p.chunk,
            any_value(p.outliers) as outliers,
            any_value(p.inliers) as inliers,
            bitstring_agg(p.bit, 0, 4095) as bits,
            bitstring_agg(p.bit, 0, 4095) filter (where p.is_outlier) as outlier_bits
        from positions as p
        inner join run_attributes_v1 as a on p.run_id = a.run_id
        group by p.outcome, a.attribute, a.value, p.chunk
    ) as v
    window same_value as (partition by outcome, attribute, value)
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

representatives as (
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

frequent_values as (
    -- representative values matching at least as many outliers as a kept combination must
    select
        v.*,
        greatest(x.min_support * v.outliers, x.min_outliers) as min_matched
    from value_bits as v
    inner join representatives as r on v.attribute = r.attribute and v.value = r.value
    cross join params as x
    where
        r.alias_rank = 1
        and v.value_outliers >= greatest(x.min_support * v.outliers, x.min_outliers)
),

chunk_values as (
    -- the frequent values of each chunk, in attribute order
    select
        outcome,
        chunk,
        any_value(outliers) as outliers,
        any_value(inliers) as inliers,
        any_value(min_matched) as min_matched,
        list(
            struct_pack(a := attribute, v := value, bits := bits, outlier_bits := outlier_bits)
            order by attribute, value
        ) as items
    from frequent_values
    group by outcome, chunk
),

chunk_combinations as (
    -- every combination of 1 to explain.max_order frequent values of distinct attributes, with the
    -- runs and the outliers it matches in the chunk
    select
        c.outcome,
        c.outliers,
        c.inliers,
        c.min_matched,
        -- x, y and z below are the list comprehensions' variables, not tables (sqlfluff reads them as tables)
        -- noqa: disable=RF01
        unnest(
            [
                struct_pack(
                    a1 := x.a, v1 := x.v, a2 := cast(null as varchar), v2 := cast(null as varchar),
                    a3 := cast(null as varchar), v3 := cast(null as varchar),
                    runs := bit_count(x.bits), outliers := coalesce(bit_count(x.outlier_bits), 0)
                )
                for x in c.items
            ]
            || (case when p.max_order >= 2 then flatten([
                [
                    struct_pack(
                        a1 := x.a, v1 := x.v, a2 := y.a, v2 := y.v,
                        a3 := cast(null as varchar), v3 := cast(null as varchar),
                        runs := bit_count(x.bits & y.bits),
                        outliers := coalesce(bit_count(x.outlier_bits & y.bits), 0)
                    )
                    for y in c.items if y.a > x.a
                ]
                for x in c.items
            ]) else [] end)
            || (case when p.max_order >= 3 then flatten(flatten([
                [
                    [
                        struct_pack(
                            a1 := x.a, v1 := x.v, a2 := y.a, v2 := y.v, a3 := z.a, v3 := z.v,
                            runs := bit_count(x.bits & y.bits & z.bits),
                            outliers := coalesce(bit_count(x.outlier_bits & y.bits & z.bits), 0)
                        )
                        for z in c.items if z.a > y.a
                    ]
                    for y in c.items if y.a > x.a
                ]
                for x in c.items
            ])) else [] end)
        ) as m
        -- noqa: enable=RF01
    from chunk_values as c
    cross join params as p
),

combinations as (
    select
        chunk_combinations.outcome,
        m.a1,
        m.v1,
        m.a2,
        m.v2,
        m.a3,
        m.v3,
        case when m.a3 is not null then 3 when m.a2 is not null then 2 else 1 end as combination_order,
        sum(m.outliers) as outliers_matched,
        sum(m.runs) - sum(m.outliers) as inliers_matched,
        any_value(outliers) as outliers,
        any_value(inliers) as inliers,
        any_value(min_matched) as min_matched
    from chunk_combinations
    group by chunk_combinations.outcome, m.a1, m.v1, m.a2, m.v2, m.a3, m.v3
    having sum(m.outliers) >= any_value(min_matched)
),

rated as (
    select
        *,
        outliers_matched / outliers as support,
        ((outliers_matched + h) / (outliers_matched + inliers_matched + 2 * h))
        / ((outliers - outliers_matched + h) / (outliers - outliers_matched + inliers - inliers_matched + 2 * h))
            as risk_ratio,
        sqrt(
            1 / (outliers_matched + h) - 1 / (outliers_matched + inliers_matched + 2 * h)
            + 1 / (outliers - outliers_matched + h)
            - 1 / (outliers - outliers_matched + inliers - inliers_matched + 2 * h)
        ) as log_se
    from (
        select
            *,
            case
                when
                    outliers_matched = 0 or inliers_matched = 0
                    or outliers - outliers_matched = 0 or inliers - inliers_matched = 0 then 0.5
                else 0
            end as h
        from combinations
    ) as c
),

judged as (
    -- each combination beside its subsets of one value fewer (in one pass over rated: each row is
    -- listed under its own values and under each of its subsets'); a combination is dominated when
    -- its risk ratio is below explain.min_gain times a subset's: the simpler one, restated
    select
        *,
        max(case when k.is_self then listed.risk_ratio end) over (
            partition by listed.outcome, k.a1, k.v1, k.a2, k.v2, k.a3, k.v3
        ) as subset_risk_ratio
    from (
        select
            r.*,
            p.min_gain,
            unnest([
                struct_pack(is_self := true, a1 := r.a1, v1 := r.v1, a2 := r.a2, v2 := r.v2, a3 := r.a3, v3 := r.v3),
                case when r.combination_order = 2 then struct_pack(
                    is_self := false, a1 := r.a2, v1 := r.v2, a2 := cast(null as varchar), v2 := cast(null as varchar),
                    a3 := cast(null as varchar), v3 := cast(null as varchar)
                ) end,
                case when r.combination_order = 2 then struct_pack(
                    is_self := false, a1 := r.a1, v1 := r.v1, a2 := cast(null as varchar), v2 := cast(null as varchar),
                    a3 := cast(null as varchar), v3 := cast(null as varchar)
                ) end,
                case when r.combination_order = 3 then struct_pack(
                    is_self := false, a1 := r.a2, v1 := r.v2, a2 := r.a3, v2 := r.v3, a3 := cast(null as varchar),
                    v3 := cast(null as varchar)
                ) end,
                case when r.combination_order = 3 then struct_pack(
                    is_self := false, a1 := r.a1, v1 := r.v1, a2 := r.a3, v2 := r.v3, a3 := cast(null as varchar),
                    v3 := cast(null as varchar)
                ) end,
                case when r.combination_order = 3 then struct_pack(
                    is_self := false, a1 := r.a1, v1 := r.v1, a2 := r.a2, v2 := r.v2, a3 := cast(null as varchar),
                    v3 := cast(null as varchar)
                ) end
            ]) as k
        from rated as r
        cross join params as p
    ) as listed
    where listed.k is not null
),

kept as (
    select
        j.*,
        row_number() over (
            partition by j.outcome
            order by j.risk_ratio desc, j.support desc, j.combination_order, j.a1, j.v1, j.a2, j.v2, j.a3, j.v3
        ) as rank
    from (
        select
            judged.outcome,
            judged.a1,
            judged.v1,
            judged.a2,
            judged.v2,
            judged.a3,
            judged.v3,
            any_value(combination_order) as combination_order,
            any_value(outliers_matched) as outliers_matched,
            any_value(outliers) as outliers,
            any_value(inliers_matched) as inliers_matched,
            any_value(inliers) as inliers,
            any_value(support) as support,
            any_value(risk_ratio) as risk_ratio,
            any_value(log_se) as log_se
        from judged
        group by judged.outcome, judged.a1, judged.v1, judged.a2, judged.v2, judged.a3, judged.v3
        having not coalesce(bool_or(not k.is_self and risk_ratio < judged.subset_risk_ratio * judged.min_gain), false)
    ) as j
    cross join params as p
    where
        j.support >= p.min_support
        and j.risk_ratio >= p.min_risk_ratio
),

checked_values as (
    -- the values of the explain.confounders_checked best combinations, one row each, with the
    -- attributes of the kept single values (those that may absorb them)
    select
        listed.outcome,
        listed.rank,
        listed.combination_order,
        i.attribute,
        i.value,
        listed.absorbers
    from (
        select
            k.outcome,
            k.rank,
            k.combination_order,
            k.absorbers,
            unnest([
                struct_pack(attribute := k.a1, value := k.v1),
                struct_pack(attribute := k.a2, value := k.v2),
                struct_pack(attribute := k.a3, value := k.v3)
            ]) as i
        from (
            select
                *,
                list(case when combination_order = 1 then struct_pack(attribute := a1, absorber_rank := rank) end)
                    over (partition by outcome) as absorbers
            from kept
        ) as k
        cross join params as p
        where k.rank <= p.confounders_checked
    ) as listed
    where i.attribute is not null
),

member_bits as (
    -- the runs each checked combination matches, chunk by chunk (chunks where it matches none
    -- have no row)
    select
        c.outcome,
        c.rank,
        v.chunk,
        any_value(c.absorbers) as absorbers,
        list(c.attribute) as combination_attributes,
        list(struct_pack(attribute := c.attribute, value := c.value)) as combination_values,
        bit_and(v.bits) as bits
    from checked_values as c
    inner join value_bits as v on c.outcome = v.outcome and c.attribute = v.attribute and c.value = v.value
    group by c.outcome, c.rank, v.chunk
    having count(*) = any_value(c.combination_order)
),

strata as (
    -- per checked combination, attribute that may absorb it (of a kept single value, not one of
    -- its own) and level of that attribute: the four counts of its 2x2 table (matched outliers a,
    -- matched inliers b, other outliers c, other inliers d); levels the combination matches no
    -- run of add nothing to the Mantel-Haenszel sums and have no row
    select
        outcome,
        rank,
        absorber,
        absorber_rank,
        level,
        a,
        matched - a as b,
        level_outliers - a as c,
        level_runs - level_outliers - (matched - a) as d
    from (
        select
            m.outcome,
            m.rank,
            m.x.attribute as absorber,
            m.x.absorber_rank,
            l.value as level,
            coalesce(sum(bit_count(m.bits & l.outlier_bits)), 0) as a,
            sum(bit_count(m.bits & l.bits)) as matched,
            any_value(l.value_outliers) as level_outliers,
            any_value(l.value_runs) as level_runs
        from (
            select
                *,
                unnest(absorbers) as x
            from member_bits
        ) as m
        inner join value_bits as l on m.outcome = l.outcome and m.chunk = l.chunk and m.x.attribute = l.attribute
        left join representatives as r
        -- an attribute with a value that holds for exactly the runs of one of the
            -- combination's values says the same thing: it cannot explain it away
            on
                r.alias_rank > 1 and m.x.attribute = r.attribute
                and list_contains(
                    m.combination_values,
                    struct_pack(attribute := r.representative_attribute, value := r.representative_value)
                )
        where
            m.x.attribute is not null
            and not list_contains(m.combination_attributes, m.x.attribute)
            and r.attribute is null
        group by m.outcome, m.rank, m.x.attribute, m.x.absorber_rank, l.value
    ) as counts
),

adjusted as (
    select
        outcome,
        rank,
        absorber,
        absorber_rank,
        case
            -- no level holds both runs the combination matches and runs it does not (it is a
            -- union of the attribute's levels: a site, and GPUs only that site has): the data
            -- cannot tell the two apart, and neither explains the other away
            when count(*) filter (where a + b > 0 and c + d > 0) = 0 then null
            -- where the two can be compared, the combination matches no more outliers than the
            -- rest: the attribute holds all of its effect
            when sum(a * (c + d) / (a + b + c + d)) = 0 then 0
            -- outliers only among the matched runs within levels: no finite ratio, not absorbed
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
        list_concat(list_concat(coalesce(l1.aliases, []), coalesce(l2.aliases, [])), coalesce(l3.aliases, []))
            as aliases
    from kept as k
    left join absorbed as b on k.outcome = b.outcome and k.rank = b.rank
    left join aliases as l1 on k.a1 = l1.attribute and k.v1 = l1.value
    left join aliases as l2 on k.a2 = l2.attribute and k.v2 = l2.value
    left join aliases as l3 on k.a3 = l3.attribute and k.v3 = l3.value
)

select * from final
order by outcome, rank
