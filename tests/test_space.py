"""The search space's one module (ingest/space.py): the ingest's decoding, the demo's enumeration
and the warehouse's archs step agree on it."""
from __future__ import annotations

from views_corpus import build, rows

from ingest.space import CHANNEL_BASES, DEPTHS, MAX_ARCH_ID, STEM_CHANNELS, WIDTHS, architecture, search_space, size_class
from warehouse.steps import STEPS_DIR


def test_decoding_a_config_gives_back_every_architecture_of_the_space():
    space = search_space()
    assert sorted(space) == list(range(1, MAX_ARCH_ID + 1)) and MAX_ARCH_ID == 15625
    for arch in space.values():
        decoded = architecture({"depth_configs": arch.depths, "channel_configs": arch.channels})
        assert decoded == {k: getattr(arch, k) for k in ("d1", "w1", "d2", "w2", "d3", "w3")}, arch
        assert arch.channels[0] == STEM_CHANNELS


def test_ids_ascend_by_macs_and_widths_use_the_channel_bases():
    space = search_space()
    macs = [space[i].macs_m for i in sorted(space)]
    assert macs == sorted(macs)
    assert space[1].channels == [STEM_CHANNELS] + [base * min(WIDTHS) for base in CHANNEL_BASES]
    assert (space[1].d1, space[1].d2, space[1].d3) == (min(DEPTHS),) * 3


def test_a_channel_that_is_not_a_multiple_of_its_base_decodes_to_none():
    decoded = architecture({"depth_configs": [4, 4.0, True], "channel_configs": [16, 170, 320, 640]})
    assert decoded == {"d1": 4, "w1": None, "d2": None, "w2": 10, "d3": None, "w3": 10}


def test_the_archs_step_gives_each_id_the_size_class_of_the_module(tmp_path):
    ids = sorted(search_space())
    runs = [{"run": {"run_id": i, "file_id": i, "arch_id": i, "site": "SUSTech"}, "epochs": []} for i in ids]
    con = build(tmp_path / "w.duckdb", runs)
    con.execute((STEPS_DIR / "50_archs.sql").read_text())
    got = rows(con, "select arch_id, size_class from archs order by arch_id")
    assert got == [(i, size_class(i)) for i in ids]
    assert {c for _, c in got} == {"small", "medium", "large"}
