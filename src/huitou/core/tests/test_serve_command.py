"""`huitou serve --addr`: what it listens on, and a clear refusal of an address it cannot use."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huitou.core.management.commands.serve import parse_addr


def test_the_address_is_host_and_port_or_a_port_alone():
    assert parse_addr("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_addr("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_addr("[::1]:8001") == ("::1", 8001)
    assert parse_addr("9000") == ("127.0.0.1", 9000)


@pytest.mark.parametrize("addr", ["127.0.0.1:", "127.0.0.1:http", "host:0", "host:70000"])
def test_a_bad_address_is_refused_before_anything_starts(addr):
    with pytest.raises(CommandError, match="--addr"):
        call_command("serve", "--addr", addr, "--no-worker")
