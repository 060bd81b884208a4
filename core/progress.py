"""Progress bars for management commands, driven by a service's ``(stage, done, total)`` callback."""
from __future__ import annotations

from tqdm import tqdm


class ProgressBars:
    """One tqdm bar per stage; ``labels`` maps a stage to what the bar says.

    Pass the instance as a service's ``progress`` callback and ``close()`` it when done.
    A stage whose total changes gets a new bar. With ``leave=False`` a bar disappears once closed,
    leaving only what the command prints itself.
    """

    def __init__(self, stream, *, enabled: bool = True, labels: dict[str, str] | None = None, unit: str = "it",
                 leave: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.labels = labels or {}
        self.unit = unit
        self.leave = leave
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(stage)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = self.bars[stage] = tqdm(total=total, desc=self.labels.get(stage, stage), unit=self.unit,
                                          file=self.stream, leave=self.leave, dynamic_ncols=True)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
