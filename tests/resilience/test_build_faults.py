"""dbt builds through ``build_copy()``: readers during a rebuild, and builds killed half-way.

The scene: the original exports loaded and built (the old marts), then the revised billing
export loaded (recurring prices doubled), so the next build changes MRR. The rebuild of a copy
of that state, watched by four readers, is the reference the killed builds are held to.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_company import Company
from fault_runs import (
    RebuildScene,
    build_kill_campaign,
    copy_warehouse,
    leftovers,
    make_rebuild_scene,
)

from foundation.warehouse import Warehouse

BUILD_KILLS = 3
SEED = 31


@pytest.fixture(scope="module")
def scene(company: Company, tmp_path_factory: pytest.TempPathFactory) -> RebuildScene:
    return make_rebuild_scene(company, tmp_path_factory.mktemp("faults-dbt"))


def test_readers_during_a_rebuild_see_the_old_or_the_new_marts_never_a_mix(scene: RebuildScene) -> None:
    log = scene.readers
    assert log.errors == []
    assert scene.new_snapshot != scene.old_snapshot
    totals: dict[Path, set] = {}
    for snapshot, rows in log.results:
        months, roll_breaks, fact_breaks, total_mrr = rows[0]
        assert months > 0 and roll_breaks == 0 and fact_breaks == 0, (snapshot, rows)
        totals.setdefault(snapshot, set()).add(total_mrr)
    print(f"\n{len(log.results)} reader queries: "
          + ", ".join(f"{s.name}: {sum(1 for p, _ in log.results if p == s)}" for s in totals))
    assert set(totals) == {scene.old_snapshot, scene.new_snapshot}, "readers saw both snapshots and no other"
    (old_total,), (new_total,) = totals[scene.old_snapshot], totals[scene.new_snapshot]
    assert new_total > old_total, "doubled recurring prices raise closing MRR"


def test_killed_builds_change_nothing_and_the_next_build_equals_the_reference(
    scene: RebuildScene, tmp_path: Path
) -> None:
    warehouse = Warehouse(copy_warehouse(scene.start.path, tmp_path / "wh" / "opsintel.duckdb"))
    progress: list[str] = []
    stats = build_kill_campaign(warehouse, scene.reference.path, tmp_path / "dbt", kills=BUILD_KILLS,
                                seed=SEED, duration=scene.rebuild.seconds, recover_each=False,
                                progress=progress.append)
    print("\n" + "\n".join(progress))
    assert stats.problems == []
    assert stats.landed >= 1
    assert stats.reader_errors == 0
    assert (stats.recoveries, stats.rows_lost, stats.duplicates) == (1, 0, 0)
    assert leftovers(warehouse) == []
