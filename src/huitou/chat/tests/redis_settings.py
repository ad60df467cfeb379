"""Settings of the `huitou serve` processes test_redis_layer starts: the test settings with
REDIS_URL from the environment, the channel layer's and the cache's keys under the run's own
prefix (HUITOU_TEST_REDIS_PREFIX), so two runs sharing one Redis never hear each other's
groups (ticket ids repeat from one test database to the next)."""

import os

from huitou.config.settings.test import *  # noqa: F403
from huitou.config.settings.test import CACHES, CHANNEL_LAYERS, REDIS_URL

if not REDIS_URL or CHANNEL_LAYERS["default"]["BACKEND"] != "channels_redis.core.RedisChannelLayer":
    raise RuntimeError("redis_settings needs REDIS_URL (the Redis channel layer)")
PREFIX = os.environ["HUITOU_TEST_REDIS_PREFIX"]
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{PREFIX}live:"
CACHES["default"]["KEY_PREFIX"] = f"{PREFIX}cache"
