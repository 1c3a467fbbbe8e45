"""The short real training run that estimate.calibrate starts in a process of its own (`python -m core
calibrate ARCH`), capped like a Train page job; run.train records the measured rate and parts, and the caller's
after_save (the map, which a job draws too) records its part. (A module of its own so that estimate.py, which
run.py imports, never imports run.py.)"""
from typing import Callable, Optional

from .cpu_share import yield_to_the_app
from .estimate import CALIBRATION_IMAGES


def main(arch: str, after_save: Optional[Callable[[str], None]] = None) -> None:
    """Trains `arch` on CALIBRATION_IMAGES MNIST images with drawn-input accuracy, as a Train page job does,
    then calls after_save(bundle name)."""
    yield_to_the_app()
    from .run import train
    from .settings import Settings

    name = train(Settings(dataset="mnist", arch=arch, epochs=1, limit=CALIBRATION_IMAGES, validation_fraction=0.0,
                          name="calibration"))
    if after_save is not None:
        after_save(name)
