"""The Draw page's pieces (pages/draw.py): the canvas and answer layout (layout.py), several characters in
one drawing (several_characters.py), "Send to the class" in the drawing's fragment (class_send.py). The
session keys this package owns are declared here, once."""

NICKNAME_KEY = "class_nickname"  # the student's nickname; survives the field's absence on another page
NICKNAME_FIELD_KEY = "class_nickname_field"  # the "Your name" field itself
