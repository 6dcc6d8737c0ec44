from tests.conftest_db import *  # noqa
