from tests.reliability.private_postgres import private_postgres  # noqa: F401 - fixture
from tests.reliability.private_services import private_redis  # noqa: F401 - fixture
