# Sourced on a lent GPU machine (no TensorFlow there): keras from carried wheels, JAX backend,
# data and rendered pen strokes from the carried folders. See tools/train_shipped.sh.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || return 1
export PYTHONPATH=/tmp/site KERAS_BACKEND=jax PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
export HWLAB_DATA_DIR=$PWD/.carry/data HWLAB_CACHE_DIR=$PWD/.carry/cache HWLAB_MODELS_DIR=${HWLAB_MODELS_DIR:-/tmp/models}
