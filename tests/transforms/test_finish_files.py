"""The second per-file pass's rejects file: written a batch of rows at a time, never all held."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.finish_files import RejectsWriter
from transforms.process_files import BATCH_ROWS

SCHEMA = pa.schema([pa.field("id", pa.string()), pa.field("reason", pa.string())])


def test_rejects_are_written_batch_by_batch(tmp_path):
    path = str(tmp_path / "rejected-00000-of-00001.parquet")
    writer = RejectsWriter(path, SCHEMA)
    rows = [{"id": f"d{i}", "reason": "exact_duplicate"} for i in range(2 * BATCH_ROWS + 7)]
    for row in rows[:BATCH_ROWS + 1]:
        writer.write(row)
    # one batch is on disk before the file's last row arrives
    assert writer._rows == rows[BATCH_ROWS:BATCH_ROWS + 1]  # noqa: SLF001
    for row in rows[BATCH_ROWS + 1:]:
        writer.write(row)
    writer.close()
    f = pq.ParquetFile(path)
    assert [f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)] == [BATCH_ROWS, BATCH_ROWS, 7]
    assert f.read().to_pylist() == rows


def test_no_rejects_no_file(tmp_path):
    path = tmp_path / "rejected-00000-of-00001.parquet"
    RejectsWriter(str(path), SCHEMA).close()
    assert not path.exists()
