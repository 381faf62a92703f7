-- step: link_evals
-- does: Link each evaluation to the training run its checkpoint came from.
-- Rules, in order: (1) the run of the same arch in the same folder; (2) the run of that arch whose
-- best CW-40 validation accuracy equals the checkpoint's best_pgdcw_acc at the training log's two
-- decimals; (3) the only run of that arch. Otherwise run_id stays NULL and link_note says why. Archs trained at two sites with logs in
-- different folders are linked by rule 2.

create or replace temp table _candidates as
select
    e.eval_id,
    r.run_id,
    regexp_replace(e.source_path, '/[^/]*$', '') = regexp_replace(r.source_path, '/[^/]*$', '') as same_folder,
    -- the checkpoint holds the unrounded float (48.559999999999995), the log printed it with two
    -- decimals (48.56): equal when the printed value is the checkpoint's rounded to two decimals
    coalesce(abs(e.ckpt_best_pgdcw_acc - r.best_cw40_acc) <= 0.005 + 1e-9, false) as cw_match
from evals as e
inner join runs as r on e.arch_id = r.arch_id;

create or replace temp table _links as
select
    eval_id,
    count(*) as n_runs,
    count(*) filter (where same_folder) as n_same,
    count(*) filter (where cw_match) as n_cw,
    count(*) filter (where same_folder and cw_match) as n_same_cw,
    min(run_id) filter (where same_folder) as same_run,
    min(run_id) filter (where same_folder and cw_match) as same_cw_run,
    min(run_id) filter (where cw_match) as cw_run,
    min(run_id) as any_run,
    bool_or(same_folder and not cw_match) filter (where same_folder) as same_mismatch
from _candidates
group by eval_id;

-- the links as they should be, then only the evaluations whose link changes are written
create or replace temp table _new_links as
select
    e.eval_id,
    case
        when l.n_same = 1 then l.same_run
        when l.n_same_cw = 1 then l.same_cw_run
        when l.n_cw = 1 then l.cw_run
        when l.n_runs = 1 then l.any_run
    end as run_id,
    case
        when l.n_same = 1 or l.n_same_cw = 1 then 'same_folder'
        when l.n_cw = 1 then 'best_cw40_match'
        when l.n_runs = 1 then 'only_run'
    end as link_method,
    case
        when l.n_same = 1 and l.same_mismatch and e.ckpt_best_pgdcw_acc is not null
            then 'checkpoint best_pgdcw_acc ' || e.ckpt_best_pgdcw_acc || ' differs from the run''s best CW-40'
        when l.n_same = 1 or l.n_same_cw = 1 then null
        when l.n_cw = 1 then null
        when l.n_runs = 1 and not coalesce(l.n_cw = 1, false) and e.ckpt_best_pgdcw_acc is not null
            then 'only run of the arch; its best CW-40 differs from the checkpoint''s ' || e.ckpt_best_pgdcw_acc
        when l.n_runs = 1 then null
        when
            l.n_cw > 1
            then
                l.n_cw
                || ' runs of arch '
                || e.arch_id
                || ' have best CW-40 '
                || e.ckpt_best_pgdcw_acc
                || ': ambiguous'
        else
            l.n_runs || ' runs of arch ' || e.arch_id || ', none in the same folder or with best CW-40 '
            || coalesce(cast(e.ckpt_best_pgdcw_acc as varchar), '(no checkpoint dict)')
    end as link_note
from evals as e
inner join _links as l on e.eval_id = l.eval_id
union all
select
    eval_id,
    null as run_id,
    null as link_method,
    'no training run of arch ' || arch_id || ' in the warehouse' as link_note
from evals
where eval_id not in (select eval_id from _links);

update evals
set run_id = n.run_id, link_method = n.link_method, link_note = n.link_note
from _new_links as n
where
    evals.eval_id = n.eval_id
    and (evals.run_id, evals.link_method, evals.link_note) is distinct from (n.run_id, n.link_method, n.link_note);

update evals
set site = r.site
from runs as r
where evals.run_id = r.run_id and evals.site is distinct from r.site;

drop table _candidates;
drop table _links;
drop table _new_links;
