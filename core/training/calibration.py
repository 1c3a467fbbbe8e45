"""`python -m core.training.calibration ARCH`: the short real training run that estimate.calibrate starts
in a process of its own, capped like a Train page job; run.train records the measured rate.
(A module of its own so that estimate.py, which run.py imports, never imports run.py.)"""
import sys

from .cpu_share import yield_to_the_app
from .estimate import CALIBRATION_IMAGES


def main(arch: str) -> None:
    yield_to_the_app()
    from .run import train
    from .settings import Settings

    train(Settings(dataset="mnist", arch=arch, epochs=1, limit=CALIBRATION_IMAGES, validation_fraction=0.0,
                   drawn_eval=False, name="calibration"))


if __name__ == "__main__":
    main(sys.argv[1])
