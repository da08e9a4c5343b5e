import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_production_refuses_the_placeholder_secret():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production")


def test_production_refuses_the_placeholder_data_key():
    with pytest.raises(ValidationError, match="DATA_KEY"):
        Settings(environment="production", secret_key="x" * 40)


REAL = {"secret_key": "x" * 40, "data_key": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
        "province_secret": "p" * 40, "province_callback_keys": {"province-51": "c" * 40}}


def test_production_refuses_the_development_province_secrets():
    with pytest.raises(ValidationError, match="PROVINCE_SECRET"):
        Settings(environment="production", secret_key="x" * 40, data_key=REAL["data_key"])


def test_production_starts_with_real_secrets():
    s = Settings(environment="production", **REAL)
    assert s.is_development is False


def test_development_accepts_placeholders():
    assert Settings(environment="development").is_development is True
