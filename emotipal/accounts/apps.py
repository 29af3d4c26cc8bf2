from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "emotipal.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.account import signals as account_signals
        from allauth.mfa import signals as mfa_signals
        from axes import signals as axes_signals
        from django.contrib.auth import signals as auth_signals

        from emotipal.accounts import receivers

        # dispatch_uid: ready() can run more than once (tests, reloads); each receiver is connected once.
        auth_signals.user_logged_in.connect(receivers.on_logged_in, dispatch_uid="accounts.audit.login")
        account_signals.user_logged_in.connect(
            receivers.activate_language, dispatch_uid="accounts.language.login"
        )
        auth_signals.user_logged_out.connect(receivers.on_logged_out, dispatch_uid="accounts.audit.logout")
        auth_signals.user_login_failed.connect(
            receivers.on_login_failed, dispatch_uid="accounts.audit.login_failed"
        )
        axes_signals.user_locked_out.connect(
            receivers.on_locked_out, dispatch_uid="accounts.audit.locked_out"
        )
        mfa_signals.authenticator_added.connect(
            receivers.on_authenticator_added, dispatch_uid="accounts.audit.mfa_added"
        )
        mfa_signals.authenticator_removed.connect(
            receivers.on_authenticator_removed, dispatch_uid="accounts.audit.mfa_removed"
        )
        mfa_signals.authenticator_reset.connect(
            receivers.on_authenticator_reset, dispatch_uid="accounts.audit.mfa_reset"
        )
        mfa_signals.authentication_failed.connect(
            receivers.on_mfa_failed, dispatch_uid="accounts.audit.mfa_failed"
        )
