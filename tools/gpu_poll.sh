# On the GPU machine: start `bash tools/train_shipped.sh $1` once (detached, so a call's time limit
# does not kill it), wait up to $2 seconds, then copy the log and the finished bundles to $OUT.
mkdir -p /tmp/shipped
if [ ! -f /tmp/train.started ]; then
  touch /tmp/train.started
  HWLAB_MODELS_DIR=/tmp/shipped setsid nohup bash -c "bash tools/train_shipped.sh $1; touch /tmp/train.done" > /tmp/train.log 2>&1 < /dev/null &
fi
end=$((SECONDS + $2))
while [ ! -f /tmp/train.done ] && [ $SECONDS -lt $end ]; do sleep 5; done
tr '\r' '\n' < /tmp/train.log | grep -v '^training' | grep -v '^$' > $OUT/log.txt
tar czf $OUT/models.tgz -C /tmp/shipped .
grep -E '"evaluation"|^mnist|^emnist|error' $OUT/log.txt; ls /tmp/train.done 2>/dev/null
