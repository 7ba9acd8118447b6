"""The one small world every test shares (see kehu/testing.py): an org tree, a user per role, cards."""

from kehu.testing import *  # noqa: F403  (fixtures)
