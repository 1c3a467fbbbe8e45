"""The Train page's pieces (pages/train.py): the settings form (form.py) and "Teach the model our
handwriting", fine-tuning on the class's drawings (class_teach.py, also offered on the Class page). The
session keys this package owns are declared here, once."""

WIDGET_PREFIX = "train_"  # the form's widgets: train_<setting>, train_aug_<name>
JOB_KEY = WIDGET_PREFIX + "job"  # the job the page's live panel follows (train_job)
