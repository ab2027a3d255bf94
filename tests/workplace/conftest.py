"""Fixtures for workplace assessments: an official holding an approved position of an MDO."""
import pytest

from piaa.frac import positions
from tests.frac.conftest import leader, mdo, position_record, reviewer, staff  # noqa: F401
from tests.items.conftest import dictionary  # noqa: F401


@pytest.fixture
def official(session, dictionary, mdo, make_user):
    positions.save_position(session, mdo, position_record())
    position = positions.search_positions(session, mdo=mdo)[0]
    positions.approve_position(session, position)
    user = make_user(role="candidate", organisation=None, name="Asha Official")
    positions.transfer(session, user, position)
    session.commit()
    return user
