-- report: eval_code_faults
-- grain: one row per fault of the evaluation code, wrong value, site and date of the fix
-- reads: check_eval_code
-- question: How many evaluations and archs did each known fault of the evaluation code touch at
--   each site, and how many of those numbers are still the runs' own (no other evaluation of the
--   run replaced them)? The table of section 8 (which code ran) of the report.
-- columns:
--   fault: the fault of the evaluation code (check_eval_code.fault)
--   wrong_value: the logged value the fault made wrong
--   site: site that ran the evaluations
--   fixed_on: date of the commit that fixed the fault
--   n_evals: evaluations from code with the fault
--   n_replaced: of those, evaluations another evaluation of their run replaced (check_eval_code.replaced)
--   n_archs: archs of the evaluations not replaced, the archs to evaluate again (an evaluation
--     without an arch counts as one more)

with final as (
    select
        fault,
        wrong_value,
        site,
        fixed_on,
        count(distinct eval_id) + max(case when eval_id is null then 1 else 0 end) as n_evals,
        count(distinct eval_id) filter (where replaced) as n_replaced,
        count(distinct arch_id) filter (where not replaced)
        + coalesce(max(case when arch_id is null and not replaced then 1 else 0 end), 0) as n_archs
    from check_eval_code
    group by fault, wrong_value, site, fixed_on
)

select * from final
order by fault, coalesce(site, ''), wrong_value, fixed_on
