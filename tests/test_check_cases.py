"""Every check's cases (`sql/checks/<name>/cases/*.toml`, see tests/check_cases.py): a small warehouse
built from the case's input rows gives exactly the expected rows of the check's view and headline."""
from __future__ import annotations

import pytest
from check_cases import CHECKS_DIR, build_case, case_paths, check_name, read_case, same_rows

from warehouse.checks import installed_checks, run_checks

CASES = case_paths()


def _set_params(con, params: dict) -> dict:
    """Set check_params values; returns the ones they replaced."""
    before = {}
    for name, value in params.items():
        found = con.execute("select value from check_params where name = ?", [name]).fetchall()
        assert found, f"no check parameter named {name}"
        before[name] = found[0][0]
        con.execute("update check_params set value = ? where name = ?", [value, name])
    return before


@pytest.mark.parametrize("path", CASES, ids=[f"{check_name(p)}/{p.stem}" for p in CASES])
def test_check_case(path, tmp_path):
    case = read_case(path)
    name = check_name(path)
    assert name in installed_checks(), f"{path}: no check named {name}"
    assert case.get("expect"), f"{path}: no [[expect]]"
    con = build_case(tmp_path / "w.duckdb", case)
    for number, expect in enumerate(case["expect"], start=1):
        where = f"{path.name}, expectation {number}"
        before = _set_params(con, expect.get("params", {}))
        got = con.execute(expect.get("query", f"select * from check_{name}")).fetchall()
        assert same_rows(got, expect["rows"], expect.get("rel_tolerance")), f"{where}: got {got}"
        if {"headline", "headline_starts", "findings"} & set(expect):
            result = run_checks(con, [name]).results[0]
            if "headline" in expect:
                assert result.headline == expect["headline"], where
            if "headline_starts" in expect:
                assert result.headline.startswith(expect["headline_starts"]), f"{where}: {result.headline}"
            if "findings" in expect:
                assert result.findings == expect["findings"], where
        _set_params(con, before)


def test_cases_are_found_in_the_check_folders():
    """The parametrised test sees the cases: a glob that matched nothing would pass silently."""
    with_cases = {check_name(p) for p in CASES}
    assert {"best_epoch", "config_drift", "duplicate_archs", "incomplete_runs"} <= with_cases
    assert all(p.parent == CHECKS_DIR / check_name(p) / "cases" for p in CASES)
