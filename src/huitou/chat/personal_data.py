"""What live chat holds of a customer (customers.holders): the outside channels' ids they
wrote from (a WeChat openid and nickname). An erasure deletes them: the conversation itself
is the ticket's thread, which the tickets holder clears."""

from huitou.customers.holders import PersonalDataHolder, register_holder
from huitou.customers.models import Customer

from .models import ChannelIdentity, ChatSession


def _identities(customer: Customer):
    conversations = ChatSession.objects.filter(ticket__customer=customer).values("conversation_id")
    return ChannelIdentity.objects.filter(conversation_id__in=conversations)


def export(customer: Customer) -> list[dict]:
    return list(
        _identities(customer)
        .order_by("created_at", "pk")
        .values("via", "account", "external_id", "display_name", "created_at")
    )


def do_channel_identities_erase(*, actor, customer: Customer) -> int:
    # The chats stay (their tickets' history) without the channel's id of the person.
    sessions = ChatSession.objects.filter(ticket__customer=customer).exclude(external_id="")
    sessions.update(external_id="")
    deleted, _by_model = _identities(customer).delete()
    return deleted


def register() -> None:
    register_holder(
        PersonalDataHolder(name="chat_channels", export=export, erase=do_channel_identities_erase)
    )
