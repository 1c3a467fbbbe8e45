"""A map of what a model learned: a few thousand test images placed in 2-D by PCA then t-SNE of the model's
own features (features.py), coloured by class. Precomputed per bundle into <bundle>/feature_map.npz (about
0.5 MB with the images, so the map works offline at once and the shipped bundles stay within the models
folder's 60 MB budget), and for a new bundle right after training (training.train calls build_and_save).

t-SNE has no transform for a new point, so a drawing is placed like its nearest map points: the mean of
their 2-D places, weighted by closeness in the PCA space (FeatureMap.place)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import config, datasets, registry
from ..model.compiled import compiled_predict
from ..errors import BadModel, DatasetMissing
from ..model.input import from_uint8
from .features import Embedder, Projection

FILE = "feature_map.npz"
PCA_DIMS = 50  # before t-SNE, as its authors advise
PLACE_K = 10  # map points that place a new input
TSNE_STEPS = 600  # scikit-learn's default is 1,000: fewer keep a new bundle's map to about a minute


@dataclass
class FeatureMap:
    xy: np.ndarray  # (n, 2) float32: t-SNE places
    label: np.ndarray  # (n,) true class index
    predicted: np.ndarray  # (n,) the model's answer
    index: np.ndarray  # (n,) index in the dataset's test split
    images: np.ndarray  # (n, 28, 28) uint8
    pca: np.ndarray  # (n, PCA_DIMS) float32: the points before t-SNE
    projection: Projection
    classes: list[str]
    source: str  # what the points are (dataset and split)
    seconds: float  # what computing it took

    def place(self, features: np.ndarray) -> np.ndarray:
        """(N, 2) places on the map for (N, D) features of new inputs."""
        q = self.projection(features)
        d = np.sqrt(np.maximum(((q[:, None, :] - self.pca[None, :, :]) ** 2).sum(-1), 0.0))
        near = np.argsort(d, axis=1)[:, :PLACE_K]
        w = 1.0 / (np.take_along_axis(d, near, axis=1) + 1e-6)
        return (self.xy[near] * w[..., None]).sum(1) / w.sum(1, keepdims=True)


def compute(model, x_uint8: np.ndarray, y: np.ndarray, classes: list[str], source: str,
            points: Optional[int] = None, seed: int = 0, progress: Optional[Callable[[str], None]] = None) -> FeatureMap:
    """The map of `model` over a stratified sample of `points` images of (x_uint8, y)."""
    from sklearn.manifold import TSNE

    t0 = time.time()
    per_class = max(1, (points or config.map_points()) // len(classes))
    pick = np.sort(np.concatenate(datasets.sample_indices(y, len(classes), per_class, seed)))
    embed = Embedder(model)
    if progress:
        progress(f"features of {len(pick):,} test images")
    feats = embed.of_images(x_uint8[pick])
    predicted = compiled_predict(model)
    pred = np.asarray(predicted(from_uint8(x_uint8[pick]))).argmax(1)
    proj = Projection.fit(feats, PCA_DIMS, seed=seed)
    low = proj(feats)
    if progress:
        progress(f"t-SNE of {len(pick):,} points")
    tsne = TSNE(2, perplexity=min(30.0, (len(pick) - 1) / 3), init="pca", max_iter=TSNE_STEPS, random_state=seed)
    xy = tsne.fit_transform(low)
    return FeatureMap(xy.astype(np.float32), y[pick].astype(np.int16), pred.astype(np.int16), pick.astype(np.int32),
                      x_uint8[pick], low, proj, [str(c) for c in classes], source, time.time() - t0)


def save(name: str, m: FeatureMap) -> None:
    """Write <bundle>/feature_map.npz atomically (beside it, then renamed over it)."""
    path = registry.bundle_dir(name) / FILE
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, xy=m.xy, label=m.label, predicted=m.predicted, index=m.index, images=m.images,
                        pca=m.pca.astype(np.float16), mean=m.projection.mean.astype(np.float16),
                        components=m.projection.components.astype(np.float16), classes=np.array(m.classes),
                        source=np.array(m.source), seconds=np.array(m.seconds))
    os.replace(tmp, path)


def load(name: str) -> Optional[FeatureMap]:
    """The bundle's precomputed map, or None when it has none."""
    path = registry.bundle_dir(name) / FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:  # never a pickle from a bundle
            return FeatureMap(z["xy"], z["label"], z["predicted"], z["index"], z["images"],
                              z["pca"].astype(np.float32), Projection(z["mean"], z["components"]),
                              [str(c) for c in z["classes"]], str(z["source"]), float(z["seconds"]))
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise BadModel(f"{name}: {FILE} cannot be read ({exc}).") from None


def build_and_save(name: str, model, ds: datasets.Dataset, progress=None) -> FeatureMap:
    """Compute a bundle's map from its dataset's test split and save it into the bundle."""
    m = compute(model, ds.test.x, ds.test.y, ds.classes, f"{ds.name} test split", progress=progress)
    save(name, m)
    return m


def draw(name: str, progress: Optional[Callable[[str], None]] = None) -> FeatureMap:
    """Draw and save the map of the bundle `name` from its dataset's test split as it trained on it (fine-tuned
    on the class's drawings: their held-out students, in the bundle's classes). Raises DatasetMissing. The
    callers of training (the job worker, `python -m core train`) draw a new bundle's map with it."""
    card = registry.inspect(name).card
    training = card.get("training", {})
    ds = datasets.load(card["dataset"], download=False, init_from=training.get("init_from"),
                       room=training.get("class_room"))
    return build_and_save(name, registry.load_model(name), ds, progress=progress)


def main(argv=None) -> int:
    """python -m core.insight.feature_map [NAME ...]: (re)compute the maps of these bundles (default: every
    usable bundle whose dataset is on disk). Prints one JSON line per bundle."""
    import json
    import sys

    from ..console import quiet_start, run_reporting_errors, say_error
    from ..errors import HWLabError

    argv = list(sys.argv[1:] if argv is None else argv)
    quiet_start("--verbose" in argv)
    names = [a for a in argv if a != "--verbose"]

    def draw() -> int:
        config.map_points()  # HWLAB_MAP_POINTS out of range: one sentence before any work
        failed = 0
        for name in names or [b.name for b in registry.list_bundles() if b.ok]:
            try:
                b = registry.inspect(name)
                if not b.ok:
                    raise BadModel(b.error)
                m = draw(name)
            except HWLabError as exc:  # an unknown model or a missing dataset: said, and the others are drawn
                say_error(str(exc))
                failed += 1
                continue
            size = (b.path / FILE).stat().st_size
            print(json.dumps({"model": name, "points": len(m.xy), "seconds": round(m.seconds, 1), "bytes": size}),
                  flush=True)
        return 2 if failed else 0

    return run_reporting_errors(draw)


if __name__ == "__main__":
    raise SystemExit(main())
