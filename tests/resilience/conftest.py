"""The small generated company shared by the fault tests (session-wide, built once)."""

from __future__ import annotations

import pytest
from fault_company import Company, make_company


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    return make_company(tmp_path_factory.mktemp("faults-company"))
