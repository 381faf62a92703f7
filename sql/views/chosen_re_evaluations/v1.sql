-- view: chosen_re_evaluations
-- version: 1 (first version)
-- grain: one row per training run with a finished test-loss re-evaluation linked to it
-- reads: evals
-- question: Which re-evaluation (eval_test_loss.py, attack test-loss) replaces the values a run's
--   Linf Base evaluation lacks or got wrong? Evaluation code before 2024-04-18 printed no Test
--   Loss and no CW LIP and printed the natural accuracy as CW Stable; the re-evaluation script
--   re-ran them into its own log. Of the finished re-evaluations linked to the run, one that
--   printed a CW Stable (776ae25 on) comes first, then the one that finished last, then the
--   lowest eval_id. check_eval_code counts its CW Stable as the replacement of a faulty one, and
--   the release file fills its test loss, CW Stable and CW LIP from it.
-- columns:
--   run_id: the run (runs.run_id)
--   eval_id: the chosen re-evaluation (evals.eval_id)
--   test_loss: its test loss (NULL when it printed none)
--   cw40_stable: its CW-40 Stable (NULL before 776ae25: the first version printed the test loss alone)
--   cw40_lip: its CW-40 LIP (NULL when it printed none)

with ranked as (
    select
        run_id,
        eval_id,
        test_loss,
        cw40_stable,
        cw40_lip,
        row_number() over (
            partition by run_id
            order by cw40_stable is null, finished_at desc nulls last, eval_id
        ) as rank
    from evals
    where
        attack = 'test-loss'
        and finished
        and run_id is not null
),

final as (
    select
        run_id,
        eval_id,
        test_loss,
        cw40_stable,
        cw40_lip
    from ranked
    where rank = 1
)

select * from final
