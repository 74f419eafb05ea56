# English (Ireland): CLDR writes dates and times as the UK does.
from hippocratic.formats.en_GB.formats import *  # noqa: F403 (a format module is its names)
