import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_production_refuses_the_placeholder_secret():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production")


def test_production_refuses_the_placeholder_data_key():
    with pytest.raises(ValidationError, match="DATA_KEY"):
        Settings(environment="production", secret_key="x" * 40)


def test_production_starts_with_real_secrets():
    s = Settings(environment="production", secret_key="x" * 40, data_key="QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=")
    assert s.is_development is False


def test_development_accepts_placeholders():
    assert Settings(environment="development").is_development is True
