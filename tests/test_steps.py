"""The derivation steps (warehouse/steps.py, sql/steps/): run in name order on a warehouse's rows,
they rebuild what is derived from them.

The archs step takes each column's most common value over an arch's logs; it sends only the archs
whose logs disagree through mode(). The oracle here is mode() over every arch."""
from __future__ import annotations

import duckdb
import pytest

from warehouse.sqlfiles import read_sql
from warehouse.steps import run_steps, steps

COLUMNS = ("d1", "w1", "d2", "w2", "d3", "w3", "params_mb", "macs_m")

MODE_OVER_EVERY_ARCH = f"""
with observed as (
    select arch_id, {', '.join(COLUMNS)}, 'run' as source from runs
    union all
    select arch_id, {', '.join(COLUMNS)}, 'eval' as source from evals
)
select
    arch_id, {', '.join(f'mode({c})' for c in COLUMNS)},
    count(*) filter (where source = 'run'), count(*) filter (where source = 'eval')
from observed
group by arch_id
order by arch_id
"""


def _archs(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"select arch_id, {', '.join(COLUMNS)}, n_runs, n_evals from archs order by arch_id").fetchall()


def test_steps_run_in_name_order():
    names = [p.name for p in steps()]
    assert names == sorted(names)
    # the duplicates step moves the lr drops derived from the epochs it moves
    assert names.index("20_lr_drops.sql") < names.index("25_duplicates.sql") < names.index("30_sites.sql")


@pytest.fixture
def demo_con(demo_warehouse_copy):
    con = duckdb.connect(str(demo_warehouse_copy))
    yield con
    con.close()


def test_archs_of_agreeing_logs_are_their_values(demo_con):
    run_steps(demo_con)
    assert _archs(demo_con) == demo_con.execute(MODE_OVER_EVERY_ARCH).fetchall()
    assert demo_con.execute("select count(*) from archs").fetchone()[0] == demo_con.execute(
        "select count(distinct arch_id) from (select arch_id from runs union all select arch_id from evals)").fetchone()[0]


def _logs_of(con: duckdb.DuckDBPyConnection, arch_id: int) -> list[tuple[str, str, int]]:
    """(table, id column, id) of every run and evaluation of the arch."""
    runs = con.execute("select run_id from runs where arch_id = ? order by 1", [arch_id]).fetchall()
    evals = con.execute("select eval_id from evals where arch_id = ? order by 1", [arch_id]).fetchall()
    return [("runs", "run_id", r) for r, in runs] + [("evals", "eval_id", e) for e, in evals]


def test_archs_of_disagreeing_logs_take_each_columns_most_common_value(demo_con):
    """One log of an arch prints a smaller depth and no MACs; one log of another arch prints
    smaller params (each arch has three logs or more): both archs keep the values the other logs
    print, in every column, and the other archs are untouched."""
    first, second = (a for a, in demo_con.execute("""
        select arch_id from (select arch_id from runs union all select arch_id from evals)
        group by arch_id having count(*) >= 3 order by arch_id limit 2""").fetchall())
    table, key, log_id = _logs_of(demo_con, first)[0]
    demo_con.execute(f"update {table} set d1 = d1 - 100, macs_m = null where {key} = ?", [log_id])
    table, key, log_id = _logs_of(demo_con, second)[-1]
    demo_con.execute(f"update {table} set params_mb = params_mb - 1 where {key} = ?", [log_id])
    before = {row[0]: row for row in _archs(demo_con)}
    run_steps(demo_con)
    after = _archs(demo_con)
    assert after == demo_con.execute(MODE_OVER_EVERY_ARCH).fetchall()
    assert {row[0]: row for row in after} == before  # outvoted in each column; nothing else changed


def test_archs_of_logs_split_evenly_still_get_a_value_they_print(demo_con):
    arch_id, = demo_con.execute("select min(arch_id) from runs").fetchone()
    demo_con.execute("update runs set d1 = 4 where arch_id = ?", [arch_id])
    demo_con.execute("update evals set d1 = 5 where arch_id = ?", [arch_id])
    demo_con.execute("delete from evals where arch_id = ? and eval_id not in "
                     "(select min(eval_id) from evals where arch_id = ?)", [arch_id, arch_id])
    demo_con.execute("delete from runs where arch_id = ? and run_id not in "
                     "(select min(run_id) from runs where arch_id = ?)", [arch_id, arch_id])
    run_steps(demo_con)
    d1, = demo_con.execute("select d1 from archs where arch_id = ?", [arch_id]).fetchone()
    assert d1 in (4, 5)


def test_steps_on_rows_they_already_derived_update_no_row(demo_con):
    """Each UPDATE of the steps writes only the rows whose value changes: run again on the rows it
    derived, it updates none (an updated row makes its row group one the checkpoint writes again)."""
    run_steps(demo_con)
    before = {t: demo_con.execute(f"select * from {t} order by all").fetchall() for t in ("runs", "evals", "code_versions")}
    updated = {}
    for step in steps():
        for number, statement in enumerate(demo_con.extract_statements(read_sql("step", step)), 1):
            rows = demo_con.execute(statement.query).fetchall()
            if statement.type == duckdb.StatementType.UPDATE:
                updated[f"{step.name} statement {number}"] = rows[0][0]
    assert len(updated) >= 10 and {s: n for s, n in updated.items() if n} == {}
    assert {t: demo_con.execute(f"select * from {t} order by all").fetchall() for t in before} == before


@pytest.mark.slow
def test_a_re_ingest_derives_only_the_loaded_files_rows_while_these_steps_derived_the_rest(ingested_samples):
    """The rows of a file the re-ingest did not read stay as derived before; when meta `derived_by`
    says other steps (another version of the tool) derived them, or an ingest since, every row is
    derived again. The ingest records that these steps derived its rows."""
    from conftest import query

    from warehouse.steps import derived_by_value
    from warehouse.update import ingest_paths

    logs, db = ingested_samples
    evaluation = logs / "eval" / "arch_2_eval_Linf_Base.log"
    drops = "select * from lr_drops order by all"
    derived = query(db, drops)
    assert derived and query(db, "select value from meta where key = 'derived_by'") == [(derived_by_value(1),)]

    def drops_lost_then_reingested(derived_by: str) -> list[tuple]:
        con = duckdb.connect(str(db))
        con.execute("delete from lr_drops")
        con.execute("update meta set value = ? where key = 'derived_by'", [derived_by])
        con.close()
        evaluation.write_text(evaluation.read_text() + "\n")  # read again: no run of its own
        ingest_paths(db, [logs], workers=1)
        return query(db, drops)

    last = query(db, "select max(ingest_id) from ingests")[0][0]
    assert drops_lost_then_reingested(derived_by_value(last)) == []  # derived again for the files read only
    last = query(db, "select max(ingest_id) from ingests")[0][0]
    assert drops_lost_then_reingested(derived_by_value(last).replace("ingest", "earlier steps, ingest")) == derived
    assert drops_lost_then_reingested(derived_by_value(last - 1)) == derived  # an ingest that did not record it
    assert query(db, "select value from meta where key = 'derived_by'") == [(derived_by_value(last + 2),)]
