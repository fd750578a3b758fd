"""``skypile release --push``: commit plan, resume, back-off, and a token that is never shown.

No network here: everything up to the upload call runs for real; the upload itself meets
``HF_HUB_OFFLINE=1`` and must fail with one clear line.
"""
from __future__ import annotations

import os
import subprocess

import httpx2
import pytest
from huggingface_hub.errors import HfHubHTTPError

from pipelines.hub_push import LocalFile, describe_plan, local_files, plan_commits, with_backoff
from pipelines.release import build_release
from pipelines.release import main as release_main
from tests.pipelines.release_helpers import curated_sample, skypile

FAKE_TOKEN = "hf_FakeTokenThatMustNeverBeShown0123456789"


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    corpus = curated_sample(tmp_path_factory)
    out = tmp_path_factory.mktemp("push") / "rel"
    build_release(str(corpus), str(out), "rel", "odc-by", shard_mb=0.02, row_group_mb=100)
    return out


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return {**env, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", **extra}


def test_dry_run_prints_the_plan_and_never_the_token(release_dir, tmp_path):
    proc = skypile("release", "--out", str(release_dir), "--repo-id", "org/skypile-sample", "--push",
                   "--dry-run", env=_env(tmp_path, HF_TOKEN=FAKE_TOKEN))
    assert proc.returncode == 0, proc.stderr
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    assert FAKE_TOKEN[3:12] not in proc.stdout + proc.stderr
    assert "token: HF_TOKEN environment variable" in proc.stdout
    files = local_files(str(release_dir))
    for f in files:
        assert f"    {f.path_in_repo} ({f.size:,} bytes" in proc.stdout
    # Card last: its commit comes after every data commit.
    assert proc.stdout.rindex("README.md") > max(proc.stdout.rindex(f.path_in_repo) for f in files
                                                  if f.path_in_repo.startswith("data/"))


def test_push_offline_fails_clearly_without_showing_the_token(release_dir, tmp_path):
    proc = skypile("release", "--out", str(release_dir), "--repo-id", "org/skypile-sample", "--push",
                   env=_env(tmp_path, HF_TOKEN=FAKE_TOKEN))
    assert proc.returncode == 2
    assert "upload to org/skypile-sample failed: OfflineModeIsEnabled" in proc.stderr
    assert FAKE_TOKEN not in proc.stdout + proc.stderr


def test_push_without_a_token_says_how_to_get_one(release_dir, tmp_path):
    proc = skypile("release", "--out", str(release_dir), "--repo-id", "org/x", "--push", env=_env(tmp_path))
    assert proc.returncode == 2 and "HF_TOKEN" in proc.stderr and "hf auth login" in proc.stderr


def test_push_needs_a_repo_id_and_a_release(tmp_path, capsys):
    assert release_main(["--out", str(tmp_path), "--push"]) == 2
    assert "--repo-id" in capsys.readouterr().err
    assert release_main(["--out", str(tmp_path), "--repo-id", "org/x", "--push"]) == 2
    assert "no release there" in capsys.readouterr().err
    assert release_main(["--out", str(tmp_path)]) == 2
    assert "--corpus is required" in capsys.readouterr().err
    for bad in (["--repo-id", "no-org", "--push"], ["--shard-size-mb", "0", "--corpus", str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            release_main(["--out", str(tmp_path), *bad])
        assert exc.value.code == 2
    assert "expected ORG/NAME" in capsys.readouterr().err


def test_git_blob_digest_matches_git(release_dir):
    readme = next(f for f in local_files(str(release_dir)) if f.path_in_repo == "README.md")
    git = subprocess.run(["git", "hash-object", readme.local_path], capture_output=True, text=True, check=True)
    assert readme.git_sha1 == git.stdout.strip()


def _file(path: str, size: int = 10) -> LocalFile:
    return LocalFile(path, "/dev/null", size, f"sha256-{path}", f"sha1-{path}")


def test_plan_batches_data_then_card_and_resumes():
    files = [_file(f"data/en/train-{i:05d}-of-00005.parquet") for i in range(5)]
    files += [_file("README.md"), _file("funnel.png"), _file("report.json")]
    commits, skipped = plan_commits(files, {}, max_files=2)
    assert [len(c.files) for c in commits] == [2, 2, 1, 3]
    assert [f.path_in_repo for f in commits[-1].files] == ["README.md", "funnel.png", "report.json"]
    assert commits[0].message == "skypile release: data 1/3 (2 files)" and skipped == []
    # Resume: the first commit landed (LFS sha256), README.md too (git blob sha1); a changed file is redone.
    remote = {f.path_in_repo: f.sha256 for f in commits[0].files}
    remote["README.md"] = "sha1-README.md"
    remote[files[2].path_in_repo] = "an-older-version"
    commits, skipped = plan_commits(files, remote, max_files=2)
    assert {f.path_in_repo for f in skipped} == {files[0].path_in_repo, files[1].path_in_repo, "README.md"}
    assert [[f.path_in_repo for f in c.files] for c in commits] == [
        [files[2].path_in_repo, files[3].path_in_repo], [files[4].path_in_repo], ["funnel.png", "report.json"]]
    # A re-release with fewer shards: the old ones go in the card's commit; other repo files stay.
    remote = {f.path_in_repo: f.sha256 for f in files}
    remote["data/en/train-00007-of-00008.parquet"] = "old"
    remote[".gitattributes"] = "hub"
    commits, skipped = plan_commits(files, remote)
    assert len(skipped) == 8 and len(commits) == 1 and commits[0].files == []
    assert commits[0].deletions == ["data/en/train-00007-of-00008.parquet"]
    assert "    delete data/en/train-00007-of-00008.parquet" in describe_plan("o/r", commits, skipped, "x", True)
    commits, _ = plan_commits(files, {}, max_files=50, max_bytes=25)
    assert [len(c.files) for c in commits] == [2, 2, 1, 3]  # 10-byte files, 25-byte commits
    assert "0 files already in the repo skipped" in describe_plan("o/r", *plan_commits(files, {}), "hub login", False)


def _http_error(status: int, retry_after: str | None = None) -> HfHubHTTPError:
    headers = {"Retry-After": retry_after} if retry_after else {}
    request = httpx2.Request("POST", "https://huggingface.co/api/datasets/o/r/commit/main")
    return HfHubHTTPError(f"{status}", response=httpx2.Response(status, headers=headers, request=request))


def test_backoff_retries_rate_limits_with_retry_after_then_exponential_waits():
    errors = [_http_error(429, "7"), _http_error(503), _http_error(429)]
    waits, calls = [], []

    def commit():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"

    assert with_backoff(commit, "commit", base_s=2, sleep=waits.append, log=lambda m: None) == "done"
    assert waits == [7.0, 4.0, 8.0] and len(calls) == 4


def test_backoff_gives_up_after_retries_and_never_retries_auth_errors():
    waits = []

    def always_429():
        raise _http_error(429)

    with pytest.raises(HfHubHTTPError):
        with_backoff(always_429, "commit", retries=3, base_s=1, max_s=3, sleep=waits.append, log=lambda m: None)
    assert waits == [1.0, 2.0, 3.0]

    def unauthorized():
        raise _http_error(401)

    waits.clear()
    with pytest.raises(HfHubHTTPError):
        with_backoff(unauthorized, "commit", sleep=waits.append, log=lambda m: None)
    assert waits == []
