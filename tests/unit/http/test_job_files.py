"""Jobs kept as JSON files: a job reads back as written (times stamped to the second
with their offset), the kind's defaults fill what a job leaves out, and an id the kind
cannot have never names a file."""

import re
from datetime import datetime

import pytest

from storenet.errors import NotFound
from storenet.http.job_files import JobFiles

JOB_ID = re.compile(r"job-[0-9]{3}")


def _files(tmp_path) -> JobFiles:  # type: ignore[no-untyped-def]
    return JobFiles(tmp_path / "jobs", JOB_ID, "test job", {"error": None, "seconds": None})


def test_a_job_reads_back_with_its_defaults_and_stamped_times(tmp_path):
    files = _files(tmp_path)
    files.create({"id": "job-001", "status": "running", "started_at": datetime(2026, 12, 7, 9)})
    files.update("job-001", {"status": "done", "finished_at": datetime(2026, 12, 7, 9, 0, 5, 7)})
    assert files.get("job-001") == {
        "error": None,
        "seconds": None,
        "id": "job-001",
        "status": "done",
        "started_at": "2026-12-07T09:00:00+00:00",
        "finished_at": "2026-12-07T09:00:05+00:00",
    }
    assert [p.name for p in (tmp_path / "jobs").iterdir()] == ["job-001.json"]


@pytest.mark.parametrize("job_id", ["job-002", "../secrets", "job-001.json", "JOB-001"])
def test_an_unknown_or_malformed_id_is_not_found(tmp_path, job_id):
    files = _files(tmp_path)
    files.create({"id": "job-001", "status": "running"})
    with pytest.raises(NotFound, match="test job"):
        files.get(job_id)


def test_a_job_with_an_id_the_kind_cannot_have_is_never_written(tmp_path):
    with pytest.raises(NotFound):
        _files(tmp_path).create({"id": "../../etc/x", "status": "running"})
    assert not any((tmp_path / "jobs").iterdir())
