"""d. The media folder cannot take the file: the disk is full, the folder is read-only, or a file
stands where its documents folder should be.

Root ignores permissions (chmod 0555 stops no one running as root, as CI does), so the first two
mount a small tmpfs on the worker's MEDIA_ROOT: filled to its last few kilobytes, or remounted
read-only. Mounting needs root; the third way needs nothing.

The job is tried three times (1 s, 2 s apart here), then fails with the error on its page and a
"Try again" button, leaving no partly written file behind. Once the folder takes files again, the
page's retry generates it: done, one file, its checksum the row's.
"""

import contextlib
import os
import re
import subprocess
import time

import pytest

pytestmark = pytest.mark.chaos

# What each way of breaking the folder does, and the error the job page shows.
WAYS = {
    "disk_full": ("letter", "docx", "No space left on device"),
    "read_only": ("letter", "pdf", "Read-only file system"),
    "not_a_directory": ("letter", "docx", "File exists"),
}


def mount(*argv: str):
    subprocess.run(["mount", *argv], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def media_on_tmpfs(media):
    mount("-t", "tmpfs", "-o", "size=256k,mode=0755", "chaos-media", str(media))
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", str(media)], check=False, capture_output=True)


def fill(folder) -> int:
    """Write a filler file until the file system is full but for `room` bytes."""
    room = 8 * 1024
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "filler", "wb") as filler:
        filler.write(b"\0" * max(free - room, 0))
    return os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize


@pytest.mark.parametrize("way", list(WAYS))
def test_a_job_that_cannot_write_its_file_fails_with_its_error_shown_and_a_retry_succeeds(stack, report, way):
    kind, fmt, error = WAYS[way]
    if way != "not_a_directory" and os.geteuid() != 0:
        pytest.skip("mounting a small or read-only tmpfs needs root (CI runs as root)")
    with contextlib.ExitStack() as cleanup:
        if way != "not_a_directory":
            cleanup.enter_context(media_on_tmpfs(stack.media))
        (stack.media / "documents").mkdir(exist_ok=way != "not_a_directory")
        if way == "disk_full":
            left = fill(stack.media)
            assert left < 16 * 1024
        elif way == "read_only":
            mount("-o", "remount,ro", str(stack.media))
        else:
            (stack.media / "documents").rmdir()
            (stack.media / "documents").write_text("not a folder")

        # No beat: the job is retried by the task itself, then by the page's "Try again".
        stack.start_web(wait=False)
        worker = stack.start_worker(wait=False)
        stack.wait_until_started()
        lead = stack.browser("lead@demo.test")

        started = time.monotonic()
        job_id = lead.request_letter(fmt=fmt)
        job = stack.wait_for_job(job_id, "failed", timeout=60)
        failed_after = time.monotonic() - started
        message = job["error"]
        assert job["attempts"] == 3 and error in job["error"], job
        assert str(stack.media) not in job["error"], "the server's folders are not shown to users"
        page = lead.get(f"/documents/jobs/{job_id}/")
        assert "The document could not be generated" in page.text
        assert re.search(rf'id="job-error">[^<]*{error}', page.text)
        assert f'action="/documents/jobs/{job_id}/retry/"' in page.text and "Try again" in page.text
        if way != "not_a_directory":
            assert not list((stack.media / "documents").iterdir()), "a partly written file was left behind"
        assert lead.get(f"/documents/jobs/{job_id}/download/").status_code == 404

        # The folder takes files again; the person presses "Try again".
        if way == "disk_full":
            (stack.media / "filler").unlink()
        elif way == "read_only":
            mount("-o", "remount,rw", str(stack.media))
        else:
            (stack.media / "documents").unlink()
        retried = time.monotonic()
        response = lead.post(f"/documents/jobs/{job_id}/retry/", {}, allow_redirects=False)
        assert response.status_code == 302 and response.headers["Location"] == f"/documents/jobs/{job_id}/"
        job = stack.wait_for_job(job_id, "done", timeout=60)
        done_after = time.monotonic() - retried
        assert job["attempts"] == 4 and job["error"] == ""
        path = stack.assert_one_file_for(job_id)
        download = lead.get(f"/documents/jobs/{job_id}/download/")
        assert download.status_code == 200 and download.content == path.read_bytes()
        assert "Your document is ready" in lead.get(f"/documents/jobs/{job_id}/").text
        assert worker.output().count(": 'done'") == 1
        stack.stop()  # before the tmpfs goes

    report.add(
        "d. Media folder unwritable",
        f"{way.replace('_', ' ')} ({kind} as {fmt}): failed after 3 attempts in {failed_after:.1f} s with "
        f"'{message}' shown; retried from the page, done {done_after:.1f} s later; 1 file.",
    )
