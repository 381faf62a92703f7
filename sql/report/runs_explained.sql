-- report: runs_explained
-- grain: one row per finished training run with a best CW-40 accuracy (run_neighbours)
-- reads: check_explain, check_vertical_lines, run_attributes, run_neighbours
-- question: Does the strongest stand-alone explanation of low accuracy (check_explain) match each
--   run, low or not? The bands and GPU sections check their verdicts against the root cause with
--   the low runs: a band or a GPU whose low runs it all matches is explained by it. The root-cause
--   section sets the accuracy of the runs it matches against the others': a cause that lowers
--   every run of a block of neighbouring archs leaves few of them low against their neighbours
--   (run_neighbours). A run matches when it has every attribute value of the explanation.
-- columns:
--   run_id: the run
--   site: site that trained it
--   gpu: its primary GPU (NULL on CPU)
--   is_low: whether it is low (run_neighbours.is_low)
--   best_cw40_acc: its best CW-40 validation accuracy (%)
--   band_id: the check_vertical_lines band whose arch range holds it (NULL when none)
--   explanation: the explanation (NULL when low accuracy has none that stands on its own)
--   explanation_attributes: its attributes
--   matched: whether the explanation matches the run

with top_explanation as (
    select
        explanation,
        attributes,
        attribute_values
    from check_explain
    where outcome = 'low_accuracy' and explained_by is null
    order by rank
    limit 1
),

explanation_values as (
    select
        unnest(attributes) as attribute,
        unnest(attribute_values) as value
    from top_explanation
),

matched_runs as (
    select a.run_id
    from run_attributes as a
    inner join explanation_values as v on a.attribute = v.attribute and a.value = v.value
    group by a.run_id
    having count(*) = (select count(*) from explanation_values)
),

final as (
    select
        n.run_id,
        n.site,
        n.gpu,
        n.is_low,
        n.best_cw40_acc,
        b.band_id,
        t.explanation,
        t.attributes as explanation_attributes,
        m.run_id is not null as matched
    from run_neighbours as n
    left join check_vertical_lines as b on n.arch_id between b.first_arch_id and b.last_arch_id
    left join matched_runs as m on n.run_id = m.run_id
    left join top_explanation as t on true
)

select * from final
order by run_id
