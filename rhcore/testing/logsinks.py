"""The contract every log sink must pass, as a pytest test class.

A plugin's test module subclasses :class:`LogSinkContract` and names its sink (the
``log_dest`` it registers); ``keeps_output`` says whether the Run's ``stdout()`` /
``stderr()`` read back what the block printed (a sink that sends output elsewhere, or
nowhere, says False)::

    class TestMySink(LogSinkContract):
        sink = "mysink"
        keeps_output = False
"""

from __future__ import annotations

import pytest

import rhcore as rh
from rhcore.plugins import get_plugins
from rhcore.spec import LogWriter


class LogSinkContract:
    """What rhcore needs from a log sink: writers with ``write``/``flush``/``close`` (or
    none), blocks that still show their output and end as they should, errors recorded."""

    sink: str
    keeps_output: bool = True

    def test_it_is_registered(self) -> None:
        spec = get_plugins().log_sink(self.sink)
        assert spec.name == self.sink and callable(spec.open) and spec.description

    def test_it_opens_binary_writers_or_nothing(self) -> None:
        with rh.run(log_dest="stream") as run:
            streams = get_plugins().log_sink(self.sink).open(run)
            if streams is None:
                return
            out, err = streams
            for writer in (out, err):
                assert isinstance(writer, LogWriter)
                writer.write("écrit\n".encode())
                writer.flush()
            for writer in (out, err):
                writer.close()

    def test_a_block_completes_and_still_shows_its_output(self, capfd: pytest.CaptureFixture) -> None:
        with rh.run(log_dest=self.sink) as run:
            print("shown and kept")
        assert "shown and kept" in capfd.readouterr().out
        assert run.status is rh.RunStatus.COMPLETED
        assert rh.run(path=run.path).status is rh.RunStatus.COMPLETED
        if self.keeps_output:
            assert run.stdout() == "shown and kept"

    def test_a_failing_block_ends_in_error_with_its_traceback(self) -> None:
        with pytest.raises(ValueError), rh.run(log_dest=self.sink) as run:
            raise ValueError("bad input")
        assert run.status is rh.RunStatus.ERROR and run.error == "ValueError: bad input"
        if self.keeps_output:
            assert "Traceback" in run.stderr() and "bad input" in run.stderr()

    def test_nested_blocks_each_end(self) -> None:
        with rh.run(log_dest=self.sink) as outer:
            with rh.run(log_dest=self.sink) as inner:
                print("inner line")
            print("outer line")
        assert (outer.status, inner.status) == (rh.RunStatus.COMPLETED, rh.RunStatus.COMPLETED)
        if self.keeps_output:
            assert inner.stdout() == "inner line"
            assert outer.stdout() == "inner line\nouter line"
