"""Ship an MNIST bundle for the Kaggle Digit Recognizer too: Kaggle's CSVs hold MNIST images with the
same ten classes, so the model is reused as is, and its card says so.

    python tools/reuse_for_kaggle.py mnist-hwnet-pen"""
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import registry  # noqa: E402


def main(source: str) -> None:
    src = registry.bundle_dir(source)
    name = registry.unique_name(f"kaggle-digit-recognizer-{source.removeprefix('mnist-')}")
    tmp = src.parent / f".tmp-{name}"
    shutil.copytree(src, tmp)
    tmp.rename(src.parent / name)
    card = registry.inspect(name).card
    registry.update_card(
        name, name=name, dataset="kaggle-digit-recognizer",
        title=card["title"].replace("MNIST", "Kaggle Digit Recognizer (the MNIST model)", 1),
        reused_from=source,
        data=dict(card["data"], provenance=(
            f"the MNIST model {source}, reused as is: the Kaggle Digit Recognizer's images are MNIST's, with the "
            f"same ten classes. Its test figures are on the official MNIST test set, since Kaggle's test.csv has "
            f"no labels. " + card["data"]["provenance"])))
    print(name)


if __name__ == "__main__":
    main(sys.argv[1])
