"""Named personas used across the suite."""

import pytest

from accounts.models import User
from config.celery import app
from inspections.models import TeamMember

from .factories import InspectionFactory, PDUFactory, RegionFactory, TeamMemberFactory, UserFactory


@pytest.fixture
def region(db):
    return RegionFactory(slug="south-west", name="South West")


@pytest.fixture
def other_region(db):
    return RegionFactory(slug="london", name="London")


@pytest.fixture
def inspection(region):
    return InspectionFactory(reference="SW-TST-2024", pdu=PDUFactory(slug="test-pdu", name="Test", region=region))


@pytest.fixture
def inspector(inspection):
    user = UserFactory(email="inspector@example.test", role=User.Role.INSPECTOR)
    TeamMemberFactory(inspection=inspection, user=user, role=TeamMember.Role.INSPECTOR)
    return user


@pytest.fixture
def lead_inspector(inspection):
    user = UserFactory(email="lead@example.test", role=User.Role.LEAD_INSPECTOR)
    TeamMemberFactory(inspection=inspection, user=user, role=TeamMember.Role.LEAD_INSPECTOR)
    return user


@pytest.fixture
def outside_inspector(db):
    return UserFactory(email="elsewhere@example.test", role=User.Role.INSPECTOR)


@pytest.fixture
def director(region):
    return UserFactory(email="director@example.test", role=User.Role.REGIONAL_DIRECTOR, region=region)


@pytest.fixture
def other_director(other_region):
    return UserFactory(email="director.london@example.test", role=User.Role.REGIONAL_DIRECTOR, region=other_region)


@pytest.fixture
def analyst(db):
    return UserFactory(email="analyst@example.test", role=User.Role.ANALYST)


@pytest.fixture
def administrator(db):
    return UserFactory(email="admin@example.test", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def media(settings, tmp_path):
    """Generated files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def eager():
    """Tasks sent with apply_async run in-process for these tests (no worker needed)."""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    # Not propagated, so that a task's retries run in-process as a worker would run them.
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
