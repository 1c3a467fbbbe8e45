"""The Class page's pieces (pages/class.py): the wall's cards as one element (grid.py) and the teacher's
actions on it (teacher_actions.py). The session keys this package owns are declared here, once."""

KEY_PREFIX = "wall_"  # every widget and slot of the Class page: wall_<name>
SESSION_KEY = KEY_PREFIX + "session"  # the class session the wall shows (its picker's key)
PICKED_KEY = KEY_PREFIX + "picked_session"  # the teacher's pick of an older session (None: the current one)
SELECTED_KEY = KEY_PREFIX + "selected"  # the card whose drawing is explained
TEACHER_KEY_PREFIX = KEY_PREFIX + "teacher_"  # the teacher's actions: wall_teacher_<name>
