import io

from tf_pixelcnn.utils.progress_line import ProgressLine
from tf_pixelcnn.utils.progress_line import format_seconds


def test_line_has_step_metrics_rate_and_eta():
    stream = io.StringIO()
    progress = ProgressLine(total=100, items_per_step=8, stream=stream)
    progress.update(10, **{"bits/dim": 2.5})
    progress.start_time -= 2.0  # pretend 2 s passed for 10 more steps
    progress.update(20, **{"bits/dim": 2.25})
    first, second = stream.getvalue().splitlines()
    assert first == "step 10/100 (10%) | bits/dim 2.500"
    assert second.startswith("step 20/100 (20%) | bits/dim 2.250 | ")
    assert "img/s" in second and "ETA 0:00:1" in second  # 80 steps at ~5 steps/s


def test_format_seconds():
    assert format_seconds(3725) == "1:02:05"
