from django.core.management.base import BaseCommand, CommandError

from huitou.accounts.models import ApiToken, User
from huitou.accounts.services import access_tokens_matching, do_token_create, do_token_revoke


class Command(BaseCommand):
    help = "管理 API 令牌：create USERNAME | list [USERNAME] | revoke PREFIX|TOKEN"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; the token is the last line")
        create.add_argument("username")
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="list tokens")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix or the whole token")
        revoke.add_argument("prefix", help="the prefix `token list` shows, or the whole token")

    def handle(self, *args, action, **options):
        if action == "create":
            try:
                user = User.objects.get(username=options["username"])
            except User.DoesNotExist:
                raise CommandError(f"no such user: {options['username']}") from None
            if not user.is_active:
                raise CommandError(f"user {user.username} is not active")
            token, raw = do_token_create(user=user, name=options["name"])
            self.stderr.write(f"token {token.key_prefix}… created for {user.username}")
            self.stdout.write(raw)
        elif action == "list":
            tokens = ApiToken.objects.select_related("user").order_by("created_at")
            if options.get("username"):
                tokens = tokens.filter(user__username=options["username"])
            for token in tokens:
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.key_prefix}…\t{token.user.username}\t{token.name}\t{state}"
                )
        elif action == "revoke":
            matches = access_tokens_matching(options["prefix"])
            if not matches:
                raise CommandError(
                    f"no token matches {options['prefix'][: ApiToken.PREFIX_LENGTH]!r}…: give the"
                    f" whole token or its prefix (up to {ApiToken.PREFIX_LENGTH} characters, as"
                    " `token list` shows it)"
                )
            if len(matches) > 1:
                raise CommandError(
                    f"{len(matches)} tokens match prefix {options['prefix']!r}: give more of it"
                )
            do_token_revoke(token=matches[0])
            self.stdout.write(f"revoked {matches[0].key_prefix}…")
