#!/usr/bin/env bash
# How the shipped bundles in models/ were trained (each card also records its exact command).
# Run from the project root; on a GPU machine source tools/gpu_env.sh first (JAX backend).
#   bash tools/train_shipped.sh mnist|emnist
set -euo pipefail
T="python3 -m core train"
case "${1:-mnist}" in
mnist)
  $T --dataset mnist --arch hwnet --epochs 30 --batch-size 128 --validation-fraction 0 --pen-strokes --pen-repeat 2 \
     --name mnist-hwnet --title "HWNet (ours): MNIST + drawn digits"
  # seed003_deep_bn: trained on the CPU (10 epochs, 50 min):
  #   $T --dataset mnist --arch seed003_deep_bn --epochs 10 --batch-size 128 --validation-fraction 0.1 --name mnist-deep-cnn-bn
  for a in mlp mlp_dropout seed002_cnn seed004_cnn seed004_cnn_aug; do
    $T --dataset mnist --arch $a --batch-size 128 --name mnist-$a
  done
  # Logistic regressions: plain SGD for 5 epochs, like seed 004's SGDClassifier (trained on the CPU; Adam to
  # convergence gives about 92.7%, above the seed's 90.5-91.8%)
  for p in l1 l2 elasticnet; do
    $T --dataset mnist --arch logreg_$p --optimizer sgd --learning-rate 0.01 --epochs 5 --batch-size 128 \
       --name mnist-logreg_$p --title "Logistic regression, $p penalty (SGD, like seed 004's SGDClassifier)"
  done ;;
emnist)
  $T --dataset emnist-letters --arch hwnet --epochs 15 --batch-size 128 --pen-strokes --pen-repeat 2 --name emnist-letters-hwnet
  # ByMerge and ByClass start from scratch: the letters model trained on images of their held-out test sets
  # (training.check_init_from refuses it). Each adds the other layout's test images (--emnist-sibling).
  # Trained on the 2-core CPU: bymerge in three stages (53 + 30 + 21 min), byclass below.
  S='--dataset emnist-bymerge --arch hwnet_lite --batch-size 128 --schedule one-cycle --validation-fraction 0.05 --emnist-sibling'
  $T $S --epochs 4 --learning-rate 0.003 --pen-strokes --name emnist-bymerge-hwnet-lite-stage1
  $T $S --epochs 2 --learning-rate 0.001 --pen-strokes --augment '{"rotation": 8, "shift": 0.08, "zoom": 0.08, "stroke": 0.3}' \
     --init-from emnist-bymerge-hwnet-lite-stage1 --name emnist-bymerge-hwnet-lite-stage2
  $T $S --epochs 1 --learning-rate 0.0005 --augment '{"rotation": 5, "shift": 0.05, "zoom": 0.05, "stroke": 0}' \
     --init-from emnist-bymerge-hwnet-lite-stage2 --name emnist-bymerge-hwnet-lite
  rm -rf "${HWLAB_MODELS_DIR:-models}"/emnist-bymerge-hwnet-lite-stage{1,2}  # not shipped: steps on the way
  # ByClass in four stages (41 + 22 + 22 + 5 min): the third shifts the output back to ByClass's own class
  # balance, which the sibling images change (they hold none of bymerge's merged letters: c/C, o/O, ...);
  # the fourth, one epoch on the ByClass training images alone, keeps that balance.
  S='--dataset emnist-byclass --arch hwnet_lite --batch-size 128 --schedule one-cycle --validation-fraction 0.05 --emnist-sibling'
  $T $S --epochs 3 --learning-rate 0.003 --name emnist-byclass-hwnet-lite-stage1
  $T $S --epochs 2 --learning-rate 0.001 --augment '{"rotation": 8, "shift": 0.08, "zoom": 0.08, "stroke": 0.3}' \
     --init-from emnist-byclass-hwnet-lite-stage1 --name emnist-byclass-hwnet-lite-stage2
  $T $S --epochs 2 --learning-rate 0.0005 --augment '{"rotation": 5, "shift": 0.05, "zoom": 0.05, "stroke": 0}' \
     --prior-correction --init-from emnist-byclass-hwnet-lite-stage2 --name emnist-byclass-hwnet-lite-stage3
  $T ${S% --emnist-sibling} --epochs 1 --learning-rate 0.0002 --augment '{"rotation": 5, "shift": 0.05, "zoom": 0.05, "stroke": 0}' \
     --init-from emnist-byclass-hwnet-lite-stage3 --name emnist-byclass-hwnet-lite
  rm -rf "${HWLAB_MODELS_DIR:-models}"/emnist-byclass-hwnet-lite-stage{1,2,3} ;;
esac
# Trained on the 2-core CPU (55 minutes), the Draw page's default:
#   python3 -m core train --dataset mnist --arch hwnet_lite --epochs 10 --batch-size 128 --validation-fraction 0 \
#     --pen-strokes --pen-sources unipen,pendigits --pen-repeat 2 --name mnist-hwnet-lite-pen
# Fine-tuned and transferred bundles (trained on the CPU, see each card's command):
#   mnist-hwnet-pen        --init-from mnist-hwnet --pen-sources unipen,pendigits
#   emnist-digits-hwnet    --init-from emnist-letters-hwnet (digits share no image with letters)
# Kaggle Digit Recognizer: its images are MNIST's, with the same ten classes, so the best MNIST model
# is reused as is: python tools/reuse_for_kaggle.py mnist-hwnet-pen
