"""Config for Tortoise's CLI: `python -m tortoise -c api.migrations_config.TORTOISE_ORM makemigrations`."""

from api.kit.db import tortoise_config
from api.settings import get_settings

TORTOISE_ORM = tortoise_config(get_settings().database_url)
