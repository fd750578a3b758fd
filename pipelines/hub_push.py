"""Upload a release folder to the Hugging Face Hub in batched commits that resume and back off.

- Batches: at most ``UPLOADS_MAX_NUMBER_PER_COMMIT`` = 50 files per commit, as ``datasets``'
  ``push_to_hub`` does, and a byte cap, so an interrupted commit costs little. Data shards go
  first; the card (README.md with its funnel chart and report.json) goes last, so the card never
  describes files that are not there yet.
- Resume: files whose digest already matches the repo's (LFS sha256, or git blob sha1 for small
  files) are skipped, so rerunning the same command after an interruption uploads only the rest.
  Release shards are deterministic, so a rebuilt release resumes too.
- Back off: HTTP 408/429/5xx (the hourly commit quota users hit with ``push_to_hub``,
  huggingface/datasets#6257) are retried after ``Retry-After`` or an exponential wait.
- The token comes from ``HF_TOKEN`` or the hub login (``huggingface_hub.get_token``) and is never
  printed; error messages are scrubbed of it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import time
from typing import Any, Callable

MAX_FILES_PER_COMMIT = 50  # datasets.config.UPLOADS_MAX_NUMBER_PER_COMMIT
MAX_BYTES_PER_COMMIT = 5 * 1000**3
CARD_FILES = ("README.md", "funnel.png", "report.json")
RETRY_STATUS = (408, 429, 500, 502, 503, 504)


class PushError(Exception):
    """The upload cannot go on (no token, no repo id, retries exhausted); the message says what to do."""


@dataclasses.dataclass(frozen=True)
class LocalFile:
    path_in_repo: str
    local_path: str
    size: int
    sha256: str
    git_sha1: str


@dataclasses.dataclass
class Commit:
    message: str
    files: list[LocalFile]
    # Repo paths to delete: shards of an earlier release that this one no longer has.
    deletions: list[str] = dataclasses.field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _digests(path: str) -> tuple[str, str]:
    """(sha256, git blob sha1) of a file, read in chunks."""
    size = os.path.getsize(path)
    sha256, git = hashlib.sha256(), hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha256.update(chunk)
            git.update(chunk)
    return sha256.hexdigest(), git.hexdigest()


def local_files(release: str) -> list[LocalFile]:
    """Every file of the release folder (hidden ones skipped), sorted by path in the repo."""
    out = []
    for root, dirs, names in os.walk(release):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            path = os.path.join(root, name)
            sha256, git = _digests(path)
            rel = os.path.relpath(path, release).replace(os.sep, "/")
            out.append(LocalFile(rel, path, os.path.getsize(path), sha256, git))
    return sorted(out, key=lambda f: f.path_in_repo)


def plan_commits(files: list[LocalFile], remote: dict[str, str],
                 max_files: int = MAX_FILES_PER_COMMIT,
                 max_bytes: int = MAX_BYTES_PER_COMMIT) -> tuple[list[Commit], list[LocalFile]]:
    """(commits to make, files skipped because the repo already has them byte for byte)."""
    if max_files < 1 or max_bytes < 1:
        raise ValueError("max_files and max_bytes must be positive")
    skipped = [f for f in files if remote.get(f.path_in_repo) in (f.sha256, f.git_sha1)]
    pending = [f for f in files if f not in skipped]
    card = [f for f in pending if f.path_in_repo in CARD_FILES]
    data = [f for f in pending if f.path_in_repo not in CARD_FILES]
    batches: list[list[LocalFile]] = []
    for f in data:
        if not batches or len(batches[-1]) >= max_files or sum(x.size for x in batches[-1]) + f.size > max_bytes:
            batches.append([])
        batches[-1].append(f)
    commits = [Commit(f"skypile release: data {i}/{len(batches)} ({len(b)} files)", b)
               for i, b in enumerate(batches, 1)]
    # Shards of an earlier release under data/ would still match the card's `data/<config>/train-*`
    # globs: the last commit deletes them together with the new card, so the switch is one commit.
    local = {f.path_in_repo for f in files}
    stale = sorted(p for p in remote if p.startswith("data/") and p not in local)
    if card or stale:
        commits.append(Commit("skypile release: dataset card" + (f", {len(stale)} stale files removed" if stale else ""),
                              card, stale))
    return commits, skipped


def token_and_source() -> tuple[str | None, str]:
    """The token and where it came from (for messages: the source, never the value)."""
    from huggingface_hub import get_token

    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"], "HF_TOKEN environment variable"
    token = get_token()
    return (token, "hub login") if token else (None, "none found")


def describe_plan(repo_id: str, commits: list[Commit], skipped: list[LocalFile], token_source: str,
                  remote_checked: bool) -> str:
    total = sum(c.size for c in commits)
    lines = [f"push plan for dataset repo {repo_id} (token: {token_source})",
             f"{len(commits)} commits, {sum(len(c.files) for c in commits)} files, {total / 1e6:,.1f} MB; "
             f"{len(skipped)} files already in the repo skipped"]
    if not remote_checked:
        lines.append("(dry run: the repo was not contacted; files already there will be skipped at push time)")
    for i, commit in enumerate(commits, 1):
        lines.append(f"  commit {i}: {commit.message!r}, {len(commit.files)} files, {commit.size / 1e6:,.1f} MB")
        lines += [f"    {f.path_in_repo} ({f.size:,} bytes, sha256 {f.sha256[:12]})" for f in commit.files]
        lines += [f"    delete {path}" for path in commit.deletions]
    return "\n".join(lines)


def retry_after_s(exc: Exception, attempt: int, base_s: float, max_s: float) -> float | None:
    """Seconds to wait before retrying ``exc``, or None when it is not worth retrying."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status not in RETRY_STATUS:
        return None
    header = response.headers.get("retry-after") if response is not None else None
    if header and header.strip().isdigit():
        return min(float(header), max_s)
    return min(base_s * 2 ** attempt, max_s)


def with_backoff(call: Callable[[], Any], what: str, retries: int = 8, base_s: float = 5.0,
                 max_s: float = 900.0, sleep: Callable[[float], None] = time.sleep, log=None) -> Any:
    """``call()``, retried on rate limits and server errors with exponential waits."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    for attempt in range(retries + 1):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - retryable ones are recognised by their HTTP status
            wait = retry_after_s(exc, attempt, base_s, max_s)
            if wait is None or attempt == retries:
                raise
            status = exc.response.status_code
            log(f"{what}: HTTP {status}, retry {attempt + 1}/{retries} in {wait:.0f} s")
            sleep(wait)
    raise AssertionError("unreachable")


def remote_digests(api, repo_id: str) -> dict[str, str]:
    """``{path: sha256 or git blob sha1}`` of every file in the dataset repo."""
    from huggingface_hub.hf_api import RepoFile

    out = {}
    for entry in api.list_repo_tree(repo_id, repo_type="dataset", recursive=True):
        if isinstance(entry, RepoFile):
            out[entry.path] = entry.lfs.sha256 if entry.lfs else entry.blob_id
    return out


def push(release: str, repo_id: str, token: str, private: bool = False, log=None,
         max_files: int = MAX_FILES_PER_COMMIT, max_bytes: int = MAX_BYTES_PER_COMMIT) -> list[Commit]:
    """Create the repo if needed and make the planned commits; returns the commits made."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    api = HfApi(token=token)
    # private=None leaves an existing repo's visibility alone; --private asks for a private new one.
    with_backoff(lambda: api.create_repo(repo_id, repo_type="dataset", private=private or None, exist_ok=True),
                 "create_repo", log=log)
    remote = with_backoff(lambda: remote_digests(api, repo_id), "list files", log=log)
    commits, skipped = plan_commits(local_files(release), remote, max_files, max_bytes)
    log(f"{len(skipped)} files already in {repo_id}; {len(commits)} commits to make")
    for i, commit in enumerate(commits, 1):
        operations = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=f.local_path)
                      for f in commit.files]
        operations += [CommitOperationDelete(path_in_repo=path) for path in commit.deletions]
        try:
            with_backoff(lambda: api.create_commit(repo_id, operations, commit_message=commit.message,
                                                   repo_type="dataset"), f"commit {i}/{len(commits)}", log=log)
        except Exception as exc:
            raise PushError(f"commit {i}/{len(commits)} failed ({scrub(str(exc), token)}); "
                            f"{i - 1} commits are in the repo: rerun the same command to resume") from None
        log(f"commit {i}/{len(commits)} done: {commit.message}")
    return commits


def scrub(text: str, token: str | None) -> str:
    """``text`` with the token masked, should any library ever echo it."""
    return text.replace(token, "hf_***") if token else text
