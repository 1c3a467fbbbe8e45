"""`python -m core.train_calibration ARCH`: the short real training run that train_estimate.calibrate starts
in a process of its own, capped like a Train page job; training.train records the measured rate.
(A module of its own so that train_estimate, which training imports, never imports training.)"""
import sys

from .cpu_share import yield_to_the_app
from .train_estimate import CALIBRATION_IMAGES


def main(arch: str) -> None:
    yield_to_the_app()
    from .training import Settings, train

    train(Settings(dataset="mnist", arch=arch, epochs=1, limit=CALIBRATION_IMAGES, validation_fraction=0.0,
                   drawn_eval=False, name="calibration"))


if __name__ == "__main__":
    main(sys.argv[1])
