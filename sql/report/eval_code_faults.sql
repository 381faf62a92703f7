-- report: eval_code_faults
-- grain: one row per fault of the evaluation code, wrong value, site and date of the fix
-- reads: check_eval_code
-- question: How many evaluations and archs did each known fault of the evaluation code touch at
--   each site? The table of section 8 (which code ran) of the report.
-- columns:
--   fault: the fault of the evaluation code (check_eval_code.fault)
--   wrong_value: the logged value the fault made wrong
--   site: site that ran the evaluations
--   fixed_on: date of the commit that fixed the fault
--   n_evals: evaluations from code with the fault
--   n_archs: archs of those evaluations (an evaluation without an arch counts as one more)

with final as (
    select
        fault,
        wrong_value,
        site,
        fixed_on,
        count(distinct eval_id) + max(case when eval_id is null then 1 else 0 end) as n_evals,
        count(distinct arch_id) + max(case when arch_id is null then 1 else 0 end) as n_archs
    from check_eval_code
    group by fault, wrong_value, site, fixed_on
)

select * from final
order by fault, coalesce(site, ''), wrong_value, fixed_on
