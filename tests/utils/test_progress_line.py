import io

from tf_pixelcnn.utils.progress_line import ProgressLine
from tf_pixelcnn.utils.progress_line import format_seconds


def test_line_has_step_metrics_rate_and_eta():
    stream = io.StringIO()
    progress = ProgressLine(total=100, items_per_step=8, stream=stream)
    progress.start_time -= 2.0  # pretend the first 10 steps took 2 s
    progress.update(10, **{"bits/dim": 2.5})
    progress.start_time -= 2.0  # and 10 more another 2 s
    progress.update(20, **{"bits/dim": 2.25})
    first, second = stream.getvalue().splitlines()
    # The first line already has a rate and an ETA: the clock starts at construction.
    assert first.startswith("step 10/100 (10%) | bits/dim 2.500 | 40 img/s | ETA 0:00:1")
    assert second.startswith("step 20/100 (20%) | bits/dim 2.250 | 40 img/s | ETA 0:00:1")


def test_resumed_job_counts_from_its_start_step_and_integers_stay_integers():
    stream = io.StringIO()
    progress = ProgressLine(total=8, stream=stream, start_step=4, unit="batch")
    progress.start_time -= 1.0
    progress.update(6, images=96)
    assert stream.getvalue().strip() == "batch 6/8 (75%) | images 96 | 2 img/s | ETA 0:00:01"


def test_format_seconds():
    assert format_seconds(3725) == "1:02:05"
